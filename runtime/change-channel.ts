/**
 * The Redis pub/sub channel over which the registry fans traffic-policy and
 * version changes out to every gateway replica (DESIGN: scale-out). Messages
 * are the registry's change events as JSON; receivers ignore stale ones.
 */
import { Redis } from 'ioredis';
import type { Logger } from './log.js';
import { redactedUrl } from './node-http.js';

export const CHANGES_CHANNEL = 'switchyard:registry:changes';

/** A publisher that never blocks its caller: a change that cannot be sent is logged; the watch stream still carries it. */
export class ChangePublisher {
  private readonly redis: Redis;

  constructor(url: string, private readonly log: Logger) {
    // Changes are rare: while Redis is away they wait in ioredis' queue rather than being lost.
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
    this.redis.on('error', (err: Error) => this.log.warn('redis publisher error', { error: err.message }));
  }

  publish(message: unknown): void {
    this.redis.publish(CHANGES_CHANNEL, JSON.stringify(message)).catch((err: Error) => this.log.warn('change not published to redis', { error: err.message }));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export class ChangeSubscriber {
  private readonly redis: Redis;

  constructor(private readonly url: string, onMessage: (message: unknown) => void, private readonly log: Logger) {
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
    this.redis.on('error', (err: Error) => this.log.warn('redis subscriber error; reconnecting (the registry watch stream still carries every change)', { redis: redactedUrl(this.url), error: err.message }));
    this.redis.on('message', (_channel: string, text: string) => {
      try {
        onMessage(JSON.parse(text));
      } catch (err) {
        this.log.warn('unreadable change message from redis', { error: (err as Error).message });
      }
    });
  }

  /** Never blocks start-up: the subscription is made (and remade after reconnects) whenever Redis is reachable. */
  start(): void {
    this.redis.subscribe(CHANGES_CHANNEL).catch((err: Error) => this.log.warn('redis subscription failed', { redis: redactedUrl(this.url), error: err.message }));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
