/**
 * `switchyard up` (= `npm start`): the whole loop on one machine — registry,
 * monitor and gateway as supervised child processes on the default ports, a
 * filesystem registry under the data directory, the bundled example models
 * registered on first start. Ctrl-C stops all of them gracefully.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeExampleRepository } from '../models/examples.js';
import { createLogger } from '../runtime/log.js';
import { onShutdownSignal } from '../runtime/shutdown.js';
import { answers, Supervisor } from '../runtime/supervisor.js';

const HELP = `usage: switchyard up [--data-dir DIR] [--host ADDR] [-- gateway options]

  --data-dir DIR   registry store, models and the admin token (default .switchyard, or $SWITCHYARD_DATA)
  --host ADDR      bind address of every process (default 127.0.0.1)
  -- ...           passed to 'switchyard gateway' (e.g. -- --instances 2)

Ports: gateway 8000 (REST) 8001 (gRPC) 8002 (metrics), monitor 8010 (status, metrics) 8011 (ingest), registry 8020.
`;

/** The admin token of this data directory, created on first start (readable by its owner only). */
async function adminToken(dataDir: string): Promise<string> {
  const file = join(dataDir, 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const token = randomBytes(24).toString('hex');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    return token;
  }
}

export async function upCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: process.env.SWITCHYARD_DATA ?? '.switchyard' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const log = createLogger({ component: 'up' });
  const dataDir = resolve(values['data-dir']);
  const host = values.host;
  await mkdir(dataDir, { recursive: true });
  const token = await adminToken(dataDir);
  await writeExampleRepository(join(dataDir, 'models'));

  const registry = `http://${host}:8020`;
  const env = { SWITCHYARD_ADMIN_TOKENS: `up:${token}`, SWITCHYARD_TOKEN: token };
  const supervisor = new Supervisor(log);
  onShutdownSignal(() => supervisor.stop(), log);
  await supervisor.start({ name: 'registry', args: ['registry', '--data-dir', dataDir, '--host', host], env, ready: () => answers(`${registry}/healthz`) });
  await supervisor.start({ name: 'monitor', args: ['monitor', '--registry', registry, '--host', host], env, ready: () => answers(`http://${host}:8010/healthz`) });
  await supervisor.start({
    name: 'gateway',
    args: ['gateway', '--registry', registry, '--monitor', `${host}:8011`, '--host', host, ...positionals],
    env,
    ready: () => answers(`http://${host}:8000/v2/health/ready`),
  });
  process.stdout.write(banner(host, dataDir));
}

function banner(host: string, dataDir: string): string {
  const base = `http://${host}:8000`;
  return [
    '',
    'Switchyard is up: registry, monitor and gateway, serving the bundled example models tabular and mlp.',
    `  REST      ${base}/v2             (Open Inference Protocol v2)`,
    `  gRPC      ${host}:8001           (inference.GRPCInferenceService)`,
    `  metrics   http://${host}:8002/metrics`,
    `  registry  http://${host}:8020/api/v1/models   (admin token in ${join(dataDir, 'admin-token')})`,
    `  monitor   http://${host}:8010/api/v1/status   (drift and accuracy per version; metrics on /metrics)`,
    '',
    'Try:',
    `  curl -s ${base}/v2/models/tabular/infer -H 'Content-Type: application/json' \\`,
    `    -d '{"inputs":[{"name":"features","shape":[1,8],"datatype":"FP32","data":[45.9,-0.45,3.46,-15.47,1093.28,0.58,7.46,3.83]}]}'`,
    `  curl -s ${base}/v2/models/tabular/feedback -d '[{"id":"<id from the answer>","label":1}]'`,
    `  SWITCHYARD_TOKEN=$(cat ${join(dataDir, 'admin-token')}) npx switchyard traffic show tabular`,
    '',
    'Ctrl-C stops everything gracefully.',
    '',
  ].join('\n');
}
