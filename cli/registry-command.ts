/** `switchyard registry`: serve the model registry (filesystem store + admin API) until SIGTERM/SIGINT, then drain and exit 0. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../runtime/process-metrics.js';
import { tokenConfigFromEnv } from '../models/registry/auth.js';
import { REGISTRY_DEFAULTS } from '../models/registry/config.js';
import { RegistryService } from '../models/registry/registry-service.js';
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
  -h, --help

tokens (comma-separated, each "token" or "name:token", at least 16 characters; the name is what the audit log records):
  SWITCHYARD_ADMIN_TOKENS  may change anything (register, alias, traffic, archive)
  SWITCHYARD_READ_TOKENS   may read
Without admin tokens every change is refused. Once any token is set, reads need one too unless --anonymous-reads.
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
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(REGISTRY_HELP);
    return;
  }
  const int = (key: 'port' | 'max-upload-bytes'): number => {
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
    },
    log,
    metrics,
  );
  onShutdownSignal(() => service.close(), log);
}
