/**
 * A real registry with the training runner for tests: temp data dir, port 0, the admin/read
 * tokens of the registry tests, a webhook secret, a training config, and a recording canary
 * starter (the rollout controller has its own tests). Plus datasets on the bundled `tabular`
 * model's feature distribution, labelled by whatever rule a test wants.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import { generateTabularDataset, tabularExample, TABULAR_FEATURE_NAMES, TABULAR_FEATURES } from '../../../models/examples.js';
import type { RegistryConfig } from '../../../models/registry/config.js';
import { RegistryService } from '../../../models/registry/registry-service.js';
import { sha256Hex } from '../../../models/repository-writer.js';
import type { CanaryCause, CanaryStarter } from '../../../models/training/canary-starter.js';
import { datasetCsv, type LabeledDataset } from '../../../models/training/dataset.js';
import type { JobRecord } from '../../../models/training/job-store.js';
import { TrainingConfig } from '../../../models/training/training-config.js';
import { eventually } from '../../helpers/poll.js';
import { ADMIN_TOKEN, call, quietLog, register, TOKENS } from '../registry/helpers.js';

export { ADMIN_TOKEN, call, READ_TOKEN } from '../registry/helpers.js';

export const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

export class RecordingCanaryStarter implements CanaryStarter {
  readonly calls: { model: string; version: string; cause: CanaryCause }[] = [];
  async start(model: string, version: string, cause: CanaryCause): Promise<void> {
    this.calls.push({ model, version, cause });
  }
}

export interface TrainingRegistry {
  service: RegistryService;
  url: string;
  dataDir: string;
  metrics: Registry;
  canary: RecordingCanaryStarter;
  restart(): Promise<TrainingRegistry>;
  stop(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `switchyard-${prefix}-`));
}

/** `training` is the JSON of a --training file. Without `dataDir`, a temp dir that `stop()` removes. */
export async function startTrainingRegistry(training: unknown, config: Partial<RegistryConfig> = {}, dataDir?: string, owned = dataDir === undefined): Promise<TrainingRegistry> {
  const dir = dataDir ?? (await tempDir('training'));
  const metrics = new Registry();
  const canary = new RecordingCanaryStarter();
  const service = await RegistryService.start(
    { port: 0, tokens: TOKENS, webhookSecret: SECRET, training: TrainingConfig.parse(training, 'test training config'), ...config, dataDir: dir },
    quietLog,
    metrics,
    { canaryStarter: canary },
  );
  let stopped = false;
  return {
    service,
    url: service.url,
    dataDir: dir,
    metrics,
    canary,
    restart: async () => {
      await service.close();
      stopped = true;
      return startTrainingRegistry(training, config, dir, owned);
    },
    stop: async () => {
      if (!stopped) await service.close();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Registers the bundled `tabular` example (softmax regression on f0..f7) as `model` version 1, which becomes stable. */
export async function registerTabular(url: string, model = 'tabular'): Promise<Uint8Array> {
  const example = tabularExample();
  const manifest = { ...example.fields, name: model, sha256: sha256Hex(example.onnx) };
  const reply = await register(url, model, example.onnx, manifest);
  if (reply.status !== 201) throw new Error(`registering ${model}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return example.onnx;
}

/** Rows from the tabular model's feature distribution, labelled by `label(row features)`; in time order. */
export function tabularRows(rows: number, seed: number, label: (x: Float32Array) => number): LabeledDataset {
  const source = generateTabularDataset(rows, seed);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = label(source.features.subarray(r * TABULAR_FEATURES, (r + 1) * TABULAR_FEATURES));
  return { featureNames: [...TABULAR_FEATURE_NAMES], rows, features: source.features, labels };
}

/** A linear rule the bundled model did not learn (it weighs f1 negatively and ignores f3): standardized f1 + f3 > 0. */
export const OTHER_RULE = (x: Float32Array): number => (x[1]! + (x[3]! + 10) / 4 > 0 ? 1 : 0);

export async function writeDataset(dir: string, name: string, data: LabeledDataset): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, datasetCsv(data));
  return path;
}

export interface SignedDelivery {
  body: string;
  headers: Record<string, string>;
}

/** A retraining request as the monitor sends it, signed with `secret` at `at`. */
export function signedDelivery(model: string, id = `msg_${randomBytes(8).toString('hex')}`, at = new Date(), secret = SECRET): SignedDelivery {
  const body = JSON.stringify({
    type: 'switchyard.retrain.requested',
    id,
    model,
    version: '1',
    role: 'stable',
    condition: { metric: 'dataset_drift', op: '>=', threshold: 1 },
    figures: { value: 1, samples: 500 },
    window: { kind: 'count', rows: 500, samples: 500 },
    time: at.toISOString(),
  });
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
  return { body, headers };
}

export function deliver(url: string, delivery: SignedDelivery): ReturnType<typeof call> {
  return call(url, 'POST', '/api/v1/webhooks/retrain', { body: Buffer.from(delivery.body), headers: delivery.headers });
}

export async function jobs(url: string, model?: string): Promise<JobRecord[]> {
  const reply = await call(url, 'GET', `/api/v1/jobs${model ? `?model=${model}` : ''}`, { token: ADMIN_TOKEN });
  if (reply.status !== 200) throw new Error(`GET /api/v1/jobs: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.jobs;
}

export async function job(url: string, id: string): Promise<JobRecord> {
  const reply = await call(url, 'GET', `/api/v1/jobs/${id}`, { token: ADMIN_TOKEN });
  if (reply.status !== 200) throw new Error(`GET /api/v1/jobs/${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function jobLog(url: string, id: string): Promise<string> {
  const reply = await call(url, 'GET', `/api/v1/jobs/${id}/log`, { token: ADMIN_TOKEN });
  if (reply.status !== 200) throw new Error(`GET /api/v1/jobs/${id}/log: ${reply.status}`);
  return reply.body as string;
}

/** Waits until the job has ended (succeeded or failed) and returns it. */
export function finished(url: string, id: string, timeoutMs = 30_000): Promise<JobRecord> {
  return eventually(`job ${id} to end`, async () => {
    const j = await job(url, id);
    return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
  }, timeoutMs, 50);
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
