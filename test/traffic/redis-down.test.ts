/**
 * A gateway started with `--redis URL` while nothing answers at URL.
 *
 * Redis only fans registry changes out faster; the registry's watch stream
 * carries every change too (gateway.ts: "both feed the same idempotent
 * apply"), and the registry's own publisher is built to never block on Redis.
 * So either outcome is defensible for the gateway — start and serve from the
 * watch stream, warning that Redis is unreachable; or refuse to start — but a
 * refusal must say what is wrong (DESIGN: "Errors users see name the thing
 * that is wrong and what was expected"): that Redis at that URL could not be
 * reached. "Connection is closed." names nothing.
 *
 * Needs no Redis: the URL points at a port with no listener.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tabularManifest, tabularOnnx } from '../helpers/traffic-models.js';
import { READ_TOKEN, registerVersion, spawnGateway, startTestRegistry, type TestRegistry } from '../helpers/traffic-stack.js';

/** A 127.0.0.1 port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('gateway with --redis pointing at no Redis', () => {
  let registry: TestRegistry;

  before(async () => {
    registry = await startTestRegistry();
    const onnx = tabularOnnx();
    await registerVersion(registry.url, 'tabular', onnx, tabularManifest(onnx));
  });

  after(async () => {
    await registry?.stop();
  });

  it('either serves from the watch stream, or refuses to start naming Redis and its URL', async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
    let started;
    try {
      started = await spawnGateway(['--registry', registry.url, '--registry-token', READ_TOKEN, '--redis', redisUrl], { timeoutMs: 20_000 });
    } catch (err) {
      const log = (err as Error).message;
      assert.match(log, /exited with 1 before it was ready/, log);
      const fatal = log.split('\n').filter((l) => l.startsWith('switchyard gateway:')).join('\n');
      assert.match(fatal, /redis/i, `the refusal names Redis; got: ${fatal}`);
      assert.ok(fatal.includes(redisUrl) || fatal.includes(redisUrl.replace('redis://', '')), `the refusal names the URL it could not reach (${redisUrl}); got: ${fatal}`);
      return;
    }
    try {
      const res = await fetch(`${started.http}/v2/models/tabular/ready`);
      assert.equal(res.status, 200, 'a gateway that starts without Redis serves the registry snapshot');
      assert.match(started.log(), /redis/i, 'and warns that Redis is unreachable');
    } finally {
      await started.stop();
    }
  });
});
