/** `switchyard registry`: serve the model registry (filesystem store + admin API) until SIGTERM/SIGINT, then drain and exit 0. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../runtime/process-metrics.js';
import { tokenConfigFromEnv } from '../models/registry/auth.js';
import { REGISTRY_DEFAULTS } from '../models/registry/config.js';
import { RegistryService } from '../models/registry/registry-service.js';
import { TrainingConfig } from '../models/training/training-config.js';
import { createLogger } from '../runtime/log.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

export const REGISTRY_HELP = `usage: switchyard registry [--data-dir DIR] [options]

options:
  --data-dir DIR          the store: DIR/models/<model>/<version>/{model.onnx,manifest.json},
                          DIR/models/<model>/model.json, DIR/archive/, DIR/audit.log
                          (default .switchyard, or $SWITCHYARD_DATA); a gateway can serve DIR/models
  --host ADDR             bind address (default ${REGISTRY_DEFAULTS.host})
  --port N                API port (default ${REGISTRY_DEFAULTS.port})
  --max-upload-bytes N    largest version upload (default ${REGISTRY_DEFAULTS.maxUploadBytes})
  --anonymous-reads       allow GETs (list, show, watch, download) without a token
  --redis URL             also publish every change on Redis pub/sub, for gateway replicas (e.g. redis://127.0.0.1:6379)
  --rollout FILE          progressive rollout policies (JSON list; "model": "*" is the default), e.g.
                          [{"model": "*", "steps": [10, 25, 50, 100], "interval_s": 30, "min_requests": 50}]
                          (built-in defaults without it: steps 10/25/50/100 every 30 s, 1 % errors, p99 x1.5)
  --gateway-metrics URL   a gateway's Prometheus endpoint the rollout guards read (repeatable, one per
                          replica; e.g. http://127.0.0.1:8002/metrics)
  --prometheus URL        or a Prometheus server scraping every gateway replica, which the rollout
                          guards query instead (e.g. http://prometheus:9090; for replicas behind an autoscaler)
  --monitor URL           the monitor's HTTP API, for the accuracy and drift guards and the labeled data
                          training jobs fetch (e.g. http://127.0.0.1:8010)
  --training FILE         how each model retrains (JSON list; "model": "*" is the default), e.g.
                          [{"model": "*", "trainer": {"builtin": {"algorithm": "logistic"}},
                            "data": {"min_rows": 200}, "holdout_fraction": 0.2, "margin": 0.01},
                           {"model": "credit", "trainer": {"command": "python train.py --data {data} --out {out}", "timeout_s": 900}}]
                          (without it: built-in logistic regression on the monitor's labeled data)
  --training-concurrency N  training jobs running at once over all models (default ${REGISTRY_DEFAULTS.trainingConcurrency})
  -h, --help

tokens (comma-separated, each "token" or "name:token", at least 16 characters; the name is what the audit log records):
  SWITCHYARD_ADMIN_TOKENS  may change anything (register, alias, traffic, archive)
  SWITCHYARD_READ_TOKENS   may read
Without admin tokens every change is refused. Once any token is set, reads need one too unless --anonymous-reads.

retraining webhooks (POST /api/v1/webhooks/retrain, from the monitor):
  SWITCHYARD_WEBHOOK_SECRET  the monitor's Standard Webhooks secret (whsec_...); without it the route answers 503
`;

export async function registryCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: process.env.SWITCHYARD_DATA ?? '.switchyard' },
      host: { type: 'string', default: REGISTRY_DEFAULTS.host },
      port: { type: 'string', default: String(REGISTRY_DEFAULTS.port) },
      'max-upload-bytes': { type: 'string', default: String(REGISTRY_DEFAULTS.maxUploadBytes) },
      'anonymous-reads': { type: 'boolean', default: false },
      redis: { type: 'string' },
      rollout: { type: 'string' },
      'gateway-metrics': { type: 'string', multiple: true },
      prometheus: { type: 'string' },
      monitor: { type: 'string' },
      training: { type: 'string' },
      'training-concurrency': { type: 'string', default: String(REGISTRY_DEFAULTS.trainingConcurrency) },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(REGISTRY_HELP);
    return;
  }
  const int = (key: 'port' | 'max-upload-bytes' | 'training-concurrency'): number => {
    const n = Number(values[key]);
    if (!Number.isInteger(n)) throw new Error(`--${key} must be an integer, got '${values[key]}'`);
    return n;
  };
  const log = createLogger({ component: 'registry' });
  const metrics = new Registry();
  collectProcessMetrics(metrics);
  const service = await RegistryService.start(
    {
      dataDir: resolve(values['data-dir']),
      host: values.host,
      port: int('port'),
      maxUploadBytes: int('max-upload-bytes'),
      tokens: tokenConfigFromEnv(process.env, values['anonymous-reads']),
      redisUrl: values.redis,
      rolloutFile: values.rollout === undefined ? undefined : resolve(values.rollout),
      gatewayMetricsUrls: values['gateway-metrics'] ?? [],
      prometheusUrl: values.prometheus?.replace(/\/+$/, ''),
      monitorUrl: values.monitor,
      training: values.training === undefined ? TrainingConfig.DEFAULT : await TrainingConfig.load(resolve(values.training)),
      trainingConcurrency: int('training-concurrency'),
      webhookSecret: process.env.SWITCHYARD_WEBHOOK_SECRET || undefined,
    },
    log,
    metrics,
  );
  onShutdownSignal(() => service.close(), log);
}
