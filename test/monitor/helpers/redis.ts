/**
 * Real Redis for tests (127.0.0.1:6379 unless SWITCHYARD_TEST_REDIS_URL). When it is not
 * reachable the test is skipped with a loud message — except under CI=true, where it fails.
 */
import { connect } from 'node:net';
import type { TestContext } from 'node:test';

export const REDIS_URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when the test may go on; false after skipping it. */
export async function requireRedis(t: TestContext): Promise<boolean> {
  if (await reachable(REDIS_URL)) return true;
  const message = `Redis is not reachable at ${REDIS_URL}`;
  if (process.env.CI === 'true') throw new Error(`${message}: CI=true requires it`);
  process.stderr.write(`\n*** SKIPPED: ${t.name}: ${message} (start redis-server, or set SWITCHYARD_TEST_REDIS_URL) ***\n\n`);
  t.skip(message);
  return false;
}
