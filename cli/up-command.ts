/**
 * `switchyard up` (= `npm start`): the whole loop on one machine — registry,
 * monitor and gateway as supervised child processes on the default ports, a
 * filesystem registry under the data directory, the bundled example models
 * registered on first start. Ctrl-C stops all of them gracefully.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mlpExample, tabularExample } from '../models/examples.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { onShutdownSignal } from '../runtime/shutdown.js';
import { modelPath, RegistryClient, RegistryRefusal } from './operator/registry-client.js';
import { DEFAULT_PORT_BASE, startStack, waitForModel, type Stack, type StackUrls } from './stack.js';

const HELP = `usage: switchyard up [--data-dir DIR] [--host ADDR] [--port-base N] [-- gateway options]

  --data-dir DIR   registry store, models, training jobs, the admin token and the webhook secret
                   (default .switchyard, or $SWITCHYARD_DATA)
  --host ADDR      bind address of every process (default 127.0.0.1)
  --port-base N    gateway REST N, gRPC N+1, metrics N+2; monitor N+10, N+11; registry N+20 (default ${DEFAULT_PORT_BASE})
  -- ...           passed to 'switchyard gateway' (e.g. -- --instances 2)
`;

export async function upCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: process.env.SWITCHYARD_DATA ?? '.switchyard' },
      host: { type: 'string', default: '127.0.0.1' },
      'port-base': { type: 'string', default: String(DEFAULT_PORT_BASE) },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const portBase = Number(values['port-base']);
  if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65535 - 20) throw new Error(`--port-base must be a port number 1-65515, got '${values['port-base']}'`);
  const log = createLogger({ component: 'up' });
  const dataDir = resolve(values['data-dir']);
  const stack = await startStack({ dataDir, host: values.host, portBase, gatewayArgs: positionals }, log);
  onShutdownSignal(() => stack.stop(), log);
  await registerExamples(stack, log);
  process.stdout.write(banner(stack.urls, dataDir));
}

/** The bundled examples, registered through the registry's API (so audited) the first time a data directory is used. */
async function registerExamples(stack: Stack, log: Logger): Promise<void> {
  const registry = new RegistryClient(stack.urls.registry, stack.token);
  // an example is built (trained, for tabular) only when the registry does not have it yet
  const examples = { tabular: tabularExample, mlp: mlpExample };
  for (const [name, build] of Object.entries(examples)) {
    const known = await registry.get(modelPath(name)).then(
      () => true,
      (err: unknown) => {
        if (err instanceof RegistryRefusal && err.status === 404) return false;
        throw err;
      },
    );
    if (known) continue;
    const example = build();
    await registry.registerVersion(name, { ...example.fields, lineage: { ...example.fields.lineage, created_at: new Date().toISOString() } }, example.onnx);
    log.info('example model registered', { model: name, version: example.fields.version });
  }
  // the banner's curl should work the moment it is printed: wait until the gateway serves them
  for (const name of Object.keys(examples)) await waitForModel(stack.urls, name);
}

function banner(urls: StackUrls, dataDir: string): string {
  const token = `SWITCHYARD_TOKEN=$(cat ${join(dataDir, 'admin-token')})`;
  return [
    '',
    'Switchyard is up: registry (+ training runner, rollouts), monitor and gateway, serving the bundled example models tabular and mlp.',
    `  REST      ${urls.gateway}/v2             (Open Inference Protocol v2)`,
    `  gRPC      ${urls.grpc}           (inference.GRPCInferenceService)`,
    `  metrics   ${urls.gatewayMetrics}`,
    `  registry  ${urls.registry}/api/v1/models   (admin token in ${join(dataDir, 'admin-token')})`,
    `  monitor   ${urls.monitor}/api/v1/status   (drift and accuracy per version; metrics on /metrics)`,
    '',
    'Try:',
    `  curl -s ${urls.gateway}/v2/models/tabular/infer -H 'Content-Type: application/json' \\`,
    `    -d '{"inputs":[{"name":"features","shape":[1,8],"datatype":"FP32","data":[45.9,-0.45,3.46,-15.47,1093.28,0.58,7.46,3.83]}]}'`,
    `  curl -s ${urls.gateway}/v2/models/tabular/feedback -d '[{"id":"<id from the answer>","label":1}]'`,
    `  ${token} npx switchyard traffic show tabular`,
    `  ${token} npx switchyard jobs`,
    '',
    'Ctrl-C stops everything gracefully.',
    '',
  ].join('\n');
}
