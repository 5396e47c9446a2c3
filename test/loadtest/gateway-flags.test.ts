/** The bench passes the gateway only the flags its --help lists (--shards exists only once the gateway is sharded). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';
import { parseBenchOptions } from '../../loadtest/bench-options.js';
import { flagArgs, gatewayArgs, gatewayHelpFlags, listedFlags } from '../../loadtest/gateway-process.js';

describe('gateway flags for the bench', () => {
  it('reads the flags from the gateway\'s own --help', async () => {
    const listed = await gatewayHelpFlags();
    for (const flag of ['--repository', '--http-port', '--grpc-port', '--metrics-port', '--max-queue-size']) assert.ok(listed.has(flag), flag);
  });

  it('keeps the listed flags and names the dropped ones', () => {
    const { flags, dropped } = listedFlags({ shards: 2, intraOpThreads: 1, maxQueueSize: undefined }, new Set(['--intra-op-threads', '--max-queue-size']));
    assert.deepEqual(flags, { intraOpThreads: 1 });
    assert.deepEqual(dropped, ['--shards 2']);
    assert.deepEqual(flagArgs(listedFlags({ shards: 4 }, new Set(['--shards'])).flags), ['--shards', '4']);
  });

  it('starts the gateway on the ports given', () => {
    const args = gatewayArgs('/repo', { shards: 2 }, { http: 9000, grpc: 9001, metrics: 9002 });
    assert.deepEqual(args.slice(0, 3), ['gateway', '--repository', '/repo']);
    assert.deepEqual(args.slice(args.indexOf('--http-port'), args.indexOf('--http-port') + 6), ['--http-port', '9000', '--grpc-port', '9001', '--metrics-port', '9002']);
    assert.deepEqual(args.slice(-2), ['--shards', '2']);
  });

  it('bench options: shards default to the CPUs available; bad values refused', () => {
    assert.deepEqual(parseBenchOptions([]), { shards: availableParallelism(), warmupS: 1, durationS: 3, nodeClient: false });
    assert.deepEqual(parseBenchOptions(['--shards', '3', '--duration-s', '5', '--node-client']), { shards: 3, warmupS: 1, durationS: 5, nodeClient: true });
    assert.equal(parseBenchOptions(['--help']), undefined);
    assert.throws(() => parseBenchOptions(['--shards', '0']), /--shards must be a whole number from 1/);
    assert.throws(() => parseBenchOptions(['--duration-s', '1.5']), /--duration-s/);
    assert.throws(() => parseBenchOptions(['--bogus']), /bogus/);
  });
});
