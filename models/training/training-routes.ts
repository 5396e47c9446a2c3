/**
 * The training runner's HTTP API on the registry:
 *   POST /api/v1/webhooks/retrain        the monitor's signed retraining webhook (no bearer token:
 *                                        the Standard Webhooks signature authenticates it)
 *   POST /api/v1/models/:model/train     admin: queue a job, optionally on {"dataset": "/abs/path.csv"}
 *   GET  /api/v1/jobs[?model=M]          read: jobs, newest first
 *   GET  /api/v1/jobs/:id                read: one job
 *   GET  /api/v1/jobs/:id/log            read: its log, text/plain
 */
import { isAbsolute } from 'node:path';
import type { RetrainRequest } from '../../monitor/webhooks/retrain-request.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { verifyWebhook } from '../../runtime/webhook-signature.js';
import type { Handler } from '../registry/api.js';
import { parseJson, readBody, sendJson } from '../registry/http-io.js';
import { requireModelName } from '../registry/names.js';
import type { Router } from '../registry/router.js';
import type { TrainingRunner } from './training-runner.js';

const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;

export function mountTrainingRoutes(router: Router<Handler>, runner: TrainingRunner, maxJsonBytes: number): void {
  const webhook: Handler = async ({ req, res }) => {
    let outcome: 'refused' | 'duplicate' | 'accepted' = 'refused';
    try {
      const secret = runner.webhookSecret;
      if (!secret) {
        req.resume();
        throw new SwitchyardError('SY_ERR_WEBHOOK_NOT_CONFIGURED', 'this registry takes no retraining webhooks: start it with SWITCHYARD_WEBHOOK_SECRET set to the monitor\'s Standard Webhooks secret (whsec_...)');
      }
      const body = await readBody(req, maxJsonBytes);
      const request = verifyWebhook<RetrainRequest>(secret, req.headers, body);
      const id = String(req.headers['webhook-id']);
      if (!WEBHOOK_ID.test(id)) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', 'webhook-id must be 1-256 printable characters without spaces');
      if (!runner.seen.claim(id)) {
        outcome = 'duplicate';
        sendJson(res, 200, { duplicate: true, id });
        return;
      }
      try {
        if (typeof request !== 'object' || request === null || typeof request.model !== 'string') throw new SwitchyardError('SY_ERR_INVALID_REQUEST', 'the webhook body must be a retraining request {"type", "id", "model", "version", ...}');
        requireModelName(request.model);
        const submission = await runner.submit(request.model, id);
        runner.jobs.appendLog(submission.job.id, `webhook ${id}: the monitor reported model '${request.model}' version ${request.version ?? '?'}${request.condition?.metric ? ` (${request.condition.metric})` : ''}`);
        await runner.seen.record(id);
        outcome = 'accepted';
        sendJson(res, 202, { job: submission.job, coalesced: submission.coalesced });
      } catch (err) {
        runner.seen.forget(id);
        throw err;
      }
    } finally {
      runner.metrics.webhook(outcome);
    }
  };

  const train: Handler = async ({ req, res, params, principal }) => {
    const model = params.model!;
    const raw = await readBody(req, maxJsonBytes);
    let dataset: string | undefined;
    if (raw.byteLength > 0) {
      const body = parseJson(raw, `training request for '${model}'`);
      const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : undefined;
      const given = fields ? (body as Record<string, unknown>).dataset : undefined;
      if (!fields || fields.some((k) => k !== 'dataset') || (given !== undefined && (typeof given !== 'string' || !isAbsolute(given)))) {
        throw new SwitchyardError('SY_ERR_INVALID_REQUEST', 'the body is optional; when sent it must be {"dataset": "/absolute/path.csv"} (a CSV the registry process can read)');
      }
      dataset = given as string | undefined;
    }
    const submission = await runner.submit(model, `manual:${principal.actor}`, dataset);
    sendJson(res, 202, { job: submission.job, coalesced: submission.coalesced });
  };

  router
    .add('POST', '/api/v1/webhooks/retrain', undefined, webhook)
    .add('POST', '/api/v1/models/:model/train', 'admin', train)
    .add('GET', '/api/v1/jobs', 'read', async ({ res, query }) => {
      const model = query.get('model') ?? undefined;
      if (model !== undefined) requireModelName(model);
      sendJson(res, 200, { jobs: runner.jobs.list(model), queued: runner.queued });
    })
    .add('GET', '/api/v1/jobs/:id', 'read', async ({ res, params }) => sendJson(res, 200, runner.jobs.get(params.id!)))
    .add('GET', '/api/v1/jobs/:id/log', 'read', async ({ req, res, params }) => {
      const text = await runner.jobs.readLog(params.id!);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
}
