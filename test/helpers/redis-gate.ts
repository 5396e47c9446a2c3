/**
 * Tests that need Redis call `redisGate()` at module level (top-level await):
 * when Redis answers PING, `skip` is false; when it does not, the suite is
 * skipped with a loud message on stderr, unless CI=true, where a missing Redis
 * is a broken environment and `required` tells the suite to fail instead.
 */
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.SWITCHYARD_TEST_REDIS ?? 'redis://127.0.0.1:6379';

export interface RedisGate {
  url: string;
  /** Why Redis cannot be used, or undefined when it answered. */
  problem: string | undefined;
  /** A `describe` option: the skip message, or false. Never a skip under CI=true. */
  skip: string | false;
}

export async function redisGate(url = TEST_REDIS_URL, timeoutMs = 2000): Promise<RedisGate> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError = '';
  redis.on('error', (err: Error) => (lastError = err.message));
  let problem: string | undefined;
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') problem = `PING answered ${JSON.stringify(pong)}`;
  } catch (err) {
    problem = lastError || (err as Error).message || String(err);
  } finally {
    redis.disconnect();
  }
  if (problem === undefined) return { url, problem, skip: false };
  const message = `Redis at ${url} is unreachable (${problem})`;
  if (process.env.CI === 'true') return { url, problem: message, skip: false };
  const banner = `\n${'!'.repeat(78)}\n!! SKIPPED: ${message}.\n!! Start Redis 7 there (or set SWITCHYARD_TEST_REDIS) to run these tests; under CI=true they fail instead.\n${'!'.repeat(78)}\n`;
  process.stderr.write(banner);
  return { url, problem: message, skip: `SKIPPED, ${message}` };
}
