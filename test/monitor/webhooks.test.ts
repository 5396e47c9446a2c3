/**
 * Acceptance 4: a drift policy fires exactly one signed webhook per cooldown; a local receiver
 * verifies it with verifyWebhook; a receiver that answers 500 twice gets the third try, with the
 * same webhook-id; a tampered body and an old timestamp fail verification.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { PolicySpec } from '../../monitor/policies/policy-spec.js';
import { RETRAIN_EVENT_TYPE, type RetrainRequest } from '../../monitor/webhooks/retrain-request.js';
import { verifyWebhook } from '../../runtime/webhook-signature.js';
import { WebhookSender } from '../../monitor/webhooks/webhook-sender.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { createLogger } from '../../runtime/log.js';
import { eventually, metricValue, startTestMonitor, type TestMonitor } from './helpers/monitor.js';
import { predictionBatch, profiledRepository, rows } from './helpers/profiles.js';
import { publish } from './helpers/publisher.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const WINDOW = 200;
const COOLDOWN_S = 2;
const SHIFT = { income: 2, score: 2 };

const POLICY: PolicySpec = {
  model: 'credit',
  conditions: [{ metric: 'dataset_drift', op: '>', threshold: 0.5, min_samples: WINDOW, consecutive: 1, window: 'count' }],
  cooldown_s: COOLDOWN_S,
  roles: ['stable', 'canary'],
};

const headersOf = (r: { headers: Record<string, unknown> }): Record<string, string> => r.headers as Record<string, string>;

function expectRefused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_INVALID_SIGNATURE' && pattern.test(err.message));
}

describe('retraining webhooks', () => {
  let m: TestMonitor;
  let repo: { dir: string; remove(): Promise<void> };
  let healthy: WebhookReceiver;
  let flaky: WebhookReceiver;

  before(async () => {
    repo = await profiledRepository('credit', ['1']);
    healthy = await startWebhookReceiver();
    flaky = await startWebhookReceiver([500, 500]);
    m = await startTestMonitor({
      repository: repo.dir,
      drift: { countRows: WINDOW },
      policies: [POLICY],
      webhooks: { urls: [healthy.url, flaky.url], secret: SECRET, attempts: 4, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 2000 },
    });
  });
  after(async () => {
    await m.stop();
    await Promise.all([healthy.close(), flaky.close(), repo.remove()]);
  });

  it('fires one signed webhook per cooldown, retried through two 500s with the same id', async () => {
    // three drifted count windows within the cooldown: one trigger, two suppressed
    await publish(m.grpc, [predictionBatch('credit', '1', 'stable', rows(3 * WINDOW, 31, SHIFT))]);
    await m.monitor.webhooksSettled();
    assert.equal(healthy.received.length, 1, 'exactly one webhook within the cooldown');
    assert.equal(await metricValue(m.monitor, 'switchyard_policy_suppressed_total', { model: 'credit' }), 2);

    const [delivery] = healthy.received;
    const request = verifyWebhook<RetrainRequest>(SECRET, delivery!.headers, delivery!.body);
    assert.equal(request.type, RETRAIN_EVENT_TYPE);
    assert.equal(request.id, headersOf(delivery!)['webhook-id']);
    assert.equal(request.model, 'credit');
    assert.equal(request.version, '1');
    assert.equal(request.role, 'stable');
    assert.equal(request.condition.metric, 'dataset_drift');
    assert.equal(request.figures.value, 1);
    assert.equal(request.figures.samples, WINDOW);
    assert.deepEqual(request.window, { kind: 'count', rows: WINDOW, samples: WINDOW });
    assert.equal((request.figures as any).features.income.drift, true);
    assert.match(headersOf(delivery!)['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=*$/);

    // the flaky receiver: 500, 500, then 204 on the third try, the same webhook-id every time
    assert.deepEqual(flaky.received.map((r) => r.status), [500, 500, 204]);
    assert.deepEqual(new Set(flaky.received.map((r) => headersOf(r)['webhook-id'])), new Set([request.id]));
    for (const r of flaky.received) assert.equal(verifyWebhook<RetrainRequest>(SECRET, r.headers, r.body).id, request.id, 'every retry is signed');
    assert.equal(await metricValue(m.monitor, 'switchyard_webhook_attempts_total', { result: 'retry_status' }), 2);
    assert.equal(await metricValue(m.monitor, 'switchyard_webhook_deliveries_total', { outcome: 'delivered' }), 2);

    const open = m.monitor.status().triggers;
    assert.equal(open.length, 1);
    assert.equal(open[0]!.open, true);

    // after the cooldown the still-drifting model fires again, with a new id
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_S * 1000 + 50));
    assert.equal(m.monitor.status().triggers[0]!.open, false, 'the trigger closes when its cooldown passes');
    await publish(m.grpc, [predictionBatch('credit', '1', 'stable', rows(WINDOW, 32, SHIFT))]);
    await m.monitor.webhooksSettled();
    assert.equal(healthy.received.length, 2);
    const second = verifyWebhook<RetrainRequest>(SECRET, healthy.received[1]!.headers, healthy.received[1]!.body);
    assert.notEqual(second.id, request.id);
    assert.equal(await metricValue(m.monitor, 'switchyard_policy_triggers_total', { model: 'credit', metric: 'dataset_drift' }), 2);
  });

  it('refuses a tampered body, a wrong secret, an old or future timestamp, missing headers', async () => {
    await eventually('a delivered webhook', () => (healthy.received.length > 0 ? true : undefined));
    const { headers, body } = healthy.received[0]!;
    verifyWebhook<RetrainRequest>(SECRET, headers, body);
    expectRefused(() => verifyWebhook<RetrainRequest>(SECRET, headers, body.replace('"credit"', '"kredit"')), /altered/);
    expectRefused(() => verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers, body), /another secret/);
    expectRefused(() => verifyWebhook<RetrainRequest>(SECRET, headers, body, { nowMs: Date.now() + 10 * 60_000 }), /old/);
    expectRefused(() => verifyWebhook<RetrainRequest>(SECRET, { ...headers, 'webhook-signature': undefined }, body), /missing/);

    // a correct signature over an old timestamp (a replay) is refused too
    const id = 'msg_replayed';
    const then = new Date(Date.now() - 10 * 60_000);
    const replay = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(then.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, then, body) };
    expectRefused(() => verifyWebhook<RetrainRequest>(SECRET, replay, body), /600 s old/);
    assert.equal(verifyWebhook<RetrainRequest>(SECRET, replay, body, { toleranceSeconds: 3600 }).model, 'credit', 'within a wider tolerance it verifies');
    const ahead = new Date(Date.now() + 10 * 60_000);
    expectRefused(() => verifyWebhook<RetrainRequest>(SECRET, { ...replay, 'webhook-timestamp': String(Math.floor(ahead.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, ahead, body) }, body), /future/);
  });
});

describe('webhook sender', () => {
  const log = createLogger({ component: 'test' }, 'error');
  const config = { secret: SECRET, attempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 300, drainMs: 1000 };
  const counting = () => {
    const attempts: string[] = [];
    const deliveries: string[] = [];
    return { attempts, deliveries, events: { webhookAttempt: (r: string) => attempts.push(r), webhookDelivery: (o: string) => deliveries.push(o) } };
  };

  it('does not retry a 4xx other than 429, and gives up after the last attempt on 5xx', async () => {
    const rejecting = await startWebhookReceiver([400]);
    const failing = await startWebhookReceiver([503, 503, 503]);
    const c = counting();
    const sender = new WebhookSender({ ...config, urls: [rejecting.url, failing.url] }, c.events, log);
    assert.deepEqual(await sender.send('msg_1', '{}'), ['failed', 'failed']);
    assert.equal(rejecting.received.length, 1);
    assert.equal(failing.received.length, 3);
    await Promise.all([rejecting.close(), failing.close()]);
  });

  it('retries a timed-out attempt and a refused connection', async () => {
    const hanging = await startWebhookReceiver(['hang']);
    const c = counting();
    const sender = new WebhookSender({ ...config, urls: [hanging.url, 'http://127.0.0.1:1/'] }, c.events, log);
    assert.deepEqual(await sender.send('msg_2', '{}'), ['delivered', 'failed']);
    assert.equal(hanging.received.length, 2, 'the timed-out attempt, then the answered retry');
    assert.ok(c.attempts.includes('timeout'));
    assert.ok(c.attempts.includes('network'));
    await hanging.close();
  });
});
