/** h2load's per-request log and its summary read back into a measured window. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h2loadWindow, parseH2loadLog, parseH2loadSeconds, percentileOfSorted } from '../../loadtest/h2load.js';

const STDOUT = `finished in 3.00s, 15000.00 req/s, 1.20MB/s
requests: 45000 total, 45064 started, 45000 done, 44990 succeeded, 10 failed, 10 errored, 2 timeout
status codes: 44990 2xx, 0 3xx, 0 4xx, 0 5xx
`;

describe('h2load', () => {
  it('reads the log: latencies of answered requests, statuses, failed streams', () => {
    const log = parseH2loadLog('1700000000000000\t200\t300\n1700000000000100\t200\t100\n1700000000000200\t-1\t50\n1700000000000300\t503\t200\n');
    assert.deepEqual(Array.from(log.latenciesUs), [100, 200, 300]);
    assert.deepEqual([...log.statuses], [[200, 2], [503, 1]]);
    assert.equal(log.failed, 1);
    assert.throws(() => parseH2loadLog('garbage\n'), /not an h2load log line/);
  });

  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileOfSorted(sorted, 50), 50);
    assert.equal(percentileOfSorted(sorted, 99), 99);
    assert.equal(percentileOfSorted(sorted, 99.9), 100);
    assert.equal(percentileOfSorted(sorted, 100), 100);
    assert.equal(percentileOfSorted(Float64Array.of(7), 1), 7);
    assert.equal(percentileOfSorted(new Float64Array(0), 50), 0);
  });

  it('reads the measured duration in any unit it prints', () => {
    assert.equal(parseH2loadSeconds(STDOUT), 3);
    assert.equal(parseH2loadSeconds('finished in 512.25ms, 1 req/s, 1B/s\n'), 0.51225);
    assert.throws(() => parseH2loadSeconds('nothing'), /finished in/);
  });

  it('makes a window: 2xx are successes; other statuses, failed streams and timeouts are errors by kind', () => {
    const log = parseH2loadLog(['1\t200\t10', '2\t200\t30', '3\t200\t20', '4\t500\t40', '5\t-1\t1'].join('\n'));
    const w = h2loadWindow(STDOUT, log, 1);
    assert.equal(w.client, 'h2load');
    assert.equal(w.requests, 3);
    assert.deepEqual(w.errors, { 'http 500': 1, 'stream failed': 1, timeout: 2 });
    assert.equal(w.seconds, 3);
    assert.deepEqual([w.p50Us, w.maxUs], [20, 40]);
  });
});
