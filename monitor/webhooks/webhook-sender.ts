/**
 * Delivers signed webhooks (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` = "v1," + base64 HMAC-SHA256 of "id.timestamp.body" under the whsec_
 * secret) to every configured URL. A delivery is retried on 429, 5xx, network errors and
 * timeouts, with exponential backoff and jitter (a Retry-After header, when longer, is honoured
 * up to maxDelayMs); any other status ends it. Every attempt carries the same webhook-id — the
 * receiver's idempotency key — and a fresh timestamp and signature, so that a retry is not
 * refused as a replay. Deliveries never block the monitor.
 */
import { Webhook } from 'standardwebhooks';
import type { Logger } from '../../runtime/log.js';
import { SERVER_VERSION } from '../../runtime/version.js';
import type { WebhookConfig } from '../config.js';

export type AttemptResult = 'success' | 'rejected' | 'retry_status' | 'timeout' | 'network';
export type DeliveryOutcome = 'delivered' | 'failed' | 'abandoned';

export interface WebhookEvents {
  webhookAttempt(result: AttemptResult): void;
  webhookDelivery(outcome: DeliveryOutcome): void;
}

export class WebhookSender {
  private readonly signer: Webhook | undefined;
  private readonly inflight = new Set<Promise<DeliveryOutcome>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly config: Readonly<WebhookConfig>,
    private readonly events: WebhookEvents,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.signer = config.secret ? new Webhook(config.secret) : undefined;
  }

  /** Starts a delivery of `body` to every URL; resolves when they all ended (tests may await it). */
  send(id: string, body: string): Promise<DeliveryOutcome[]> {
    return Promise.all(
      this.config.urls.map((url) => {
        const delivery = this.deliver(url, id, body);
        this.inflight.add(delivery);
        void delivery.finally(() => this.inflight.delete(delivery));
        return delivery;
      }),
    );
  }

  /** Waits up to drainMs for deliveries in flight, then abandons them. */
  async close(): Promise<void> {
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.drainMs)));
      await Promise.race([Promise.allSettled([...this.inflight]), deadline]);
      clearTimeout(timer);
    }
    this.closing.abort();
    await Promise.allSettled([...this.inflight]);
  }

  private async deliver(url: string, id: string, body: string): Promise<DeliveryOutcome> {
    const { attempts } = this.config;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.closing.signal.aborted) return this.finish('abandoned', url, id, attempt - 1);
      const { result, retryAfterMs, detail } = await this.attempt(url, id, body);
      this.events.webhookAttempt(result);
      if (result === 'success') return this.finish('delivered', url, id, attempt);
      if (result === 'rejected' || attempt === attempts) {
        this.log.warn('webhook attempt failed', { url, webhook_id: id, attempt, detail });
        return this.finish('failed', url, id, attempt);
      }
      const delay = this.backoff(attempt, retryAfterMs);
      this.log.info('webhook attempt failed; retrying', { url, webhook_id: id, attempt, detail, retry_in_ms: Math.round(delay) });
      await sleep(delay, this.closing.signal);
    }
    return this.finish('failed', url, id, attempts);
  }

  private async attempt(url: string, id: string, body: string): Promise<{ result: AttemptResult; retryAfterMs?: number; detail: string }> {
    const timestamp = new Date();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `switchyard-monitor/${SERVER_VERSION}`,
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    };
    if (this.signer) headers['webhook-signature'] = this.signer.sign(id, timestamp, body);
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([timeout, this.closing.signal]) });
      await res.arrayBuffer().catch(() => undefined);
      const detail = `HTTP ${res.status}`;
      if (res.status >= 200 && res.status < 300) return { result: 'success', detail };
      if (res.status === 429 || res.status >= 500) return { result: 'retry_status', retryAfterMs: retryAfter(res.headers.get('retry-after')), detail };
      return { result: 'rejected', detail };
    } catch (err) {
      const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      return { result: timeout.aborted ? 'timeout' : 'network', detail };
    }
  }

  /** base · 2^(attempt-1), capped, with "equal jitter" (half fixed, half random); Retry-After wins when longer. */
  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const { baseDelayMs, maxDelayMs } = this.config;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const jittered = exponential / 2 + (this.random() * exponential) / 2;
    return Math.min(maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  private finish(outcome: DeliveryOutcome, url: string, id: string, attempts: number): DeliveryOutcome {
    this.events.webhookDelivery(outcome);
    if (outcome === 'delivered') this.log.info('webhook delivered', { url, webhook_id: id, attempts });
    else this.log.error(`webhook ${outcome}`, { url, webhook_id: id, attempts });
    return outcome;
  }
}

/** Retry-After in seconds (the HTTP-date form is rare from webhook receivers and ignored). */
function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
