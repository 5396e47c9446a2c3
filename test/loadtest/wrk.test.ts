/** wrk's generated Lua script and the result its done() prints, read back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { luaBytes, parseWrkOutput, wrkScript } from '../../loadtest/wrk.js';

const STDOUT = `Running 3s test @ http://127.0.0.1:8000/v2/models/tabular/infer
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   700.00us  200.00us   5.00ms   90.00%
  60000 requests in 3.00s, 9.00MB read
Requests/sec:  20000.00
Transfer/sec:      3.00MB
wrk-result requests=60000 duration_us=3001234 connect=0 read=2 write=0 timeout=1 p50_us=612 p90_us=901 p99_us=2450 p999_us=4100 max_us=5003
wrk-status 429 120
wrk-status 503 3
`;

describe('wrk', () => {
  it('writes any bytes as a Lua string literal', () => {
    assert.equal(luaBytes(Buffer.from([0, 34, 92, 10, 255])), '"\\000\\034\\092\\010\\255"');
  });

  it('sets method, body and headers and prints its result from done()', () => {
    const script = wrkScript({ body: Buffer.from('AB'), headers: { 'Inference-Header-Content-Length': '2' } });
    assert.match(script, /^wrk\.method = "POST"$/m);
    assert.match(script, /^wrk\.body = "\\065\\066"$/m);
    assert.ok(script.includes(`wrk.headers[${luaBytes(Buffer.from('Inference-Header-Content-Length'))}] = ${luaBytes(Buffer.from('2'))}`));
    assert.match(script, /function response\(status\)/);
    assert.match(script, /function done\(summary, latency\)/);
    assert.match(script, /latency:percentile\(99\)/);
  });

  it('counts non-2xx answers by status and takes them out of the successes', () => {
    const w = parseWrkOutput(STDOUT, 64);
    assert.equal(w.client, 'wrk');
    assert.equal(w.connections, 64);
    assert.equal(w.requests, 60000 - 123);
    assert.deepEqual(w.errors, { 'http 429': 120, 'http 503': 3, read: 2, timeout: 1 });
    assert.equal(w.seconds, 3.001234);
    assert.deepEqual([w.p50Us, w.p90Us, w.p99Us, w.p999Us, w.maxUs], [612, 901, 2450, 4100, 5003]);
  });

  it('refuses output without the result line of its own script', () => {
    assert.throws(() => parseWrkOutput('Requests/sec: 1.00\n', 1), /no result line/);
    assert.throws(() => parseWrkOutput('wrk-result requests=1 duration_us=2\n', 1), /without connect/);
  });
});
