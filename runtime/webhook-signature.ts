/**
 * For receivers of the monitor's webhooks (the registry's training runner, or anyone's): checks a
 * Standard Webhooks signature and timestamp and returns the parsed body (typed by the caller).
 *
 *   const request = verifyWebhook<RetrainRequest>(process.env.SWITCHYARD_WEBHOOK_SECRET, req.headers, rawBody);
 *
 * Throws SwitchyardError SY_ERR_INVALID_SIGNATURE (HTTP 401) when a header is missing, the
 * timestamp is further than `toleranceSeconds` (default 300) from now — a replay or a stale
 * message — or no `v1,` signature matches HMAC-SHA256(secret, "id.timestamp.body"): a tampered
 * body, another secret. Pass the body exactly as received: re-serialised JSON will not match.
 * Dedupe on the returned `id` (the webhook-id): retries of one delivery repeat it.
 */
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SwitchyardError } from './errors.js';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** Largest accepted distance between the webhook-timestamp and now (default 300 s, the Standard Webhooks default). */
  readonly toleranceSeconds?: number;
  /** For tests: the receiver's clock. */
  readonly nowMs?: number;
}

export function verifyWebhook<T = unknown>(secret: string, headers: WebhookHeaders, body: string | Uint8Array, options: VerifyOptions = {}): T {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw refused('missing webhook-id, webhook-timestamp or webhook-signature header');
  if (!/^\d+$/.test(timestamp)) throw refused(`webhook-timestamp ${JSON.stringify(timestamp)} is not Unix seconds`);
  const tolerance = options.toleranceSeconds ?? 300;
  const skew = Math.floor((options.nowMs ?? Date.now()) / 1000) - Number(timestamp);
  if (Math.abs(skew) > tolerance) {
    throw refused(`webhook-timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'}, more than the ${tolerance} s tolerated`);
  }
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const expected = Buffer.from(new Webhook(secret).sign(id, new Date(Number(timestamp) * 1000), text).slice('v1,'.length));
  const matches = signatures.split(' ').some((versioned) => {
    const [version, signature] = versioned.split(',', 2);
    if (version !== 'v1' || signature === undefined) return false;
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw refused('no webhook-signature matches the body: it was altered, or signed with another secret');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SwitchyardError('SY_ERR_INVALID_JSON', 'webhook body is signed but is not JSON');
  }
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

function refused(why: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_SIGNATURE', `webhook refused: ${why}`);
}
