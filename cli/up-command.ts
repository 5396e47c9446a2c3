/**
 * `switchyard up` (= `npm start`): the bundled example models, written on first
 * start into the data directory, served on the default ports.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Gateway } from '../gateway/gateway.js';
import { writeExampleRepository } from '../models/examples.js';
import { createLogger } from '../runtime/log.js';
import { onShutdownSignal } from '../runtime/shutdown.js';
import { GATEWAY_HELP, GATEWAY_OPTIONS, gatewayConfigFromArgs } from './gateway-command.js';

export async function upCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...GATEWAY_OPTIONS, 'data-dir': { type: 'string', default: process.env.SWITCHYARD_DATA ?? '.switchyard' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: switchyard up [--data-dir DIR] [options]\n\n  --data-dir DIR             where models are kept (default .switchyard, or $SWITCHYARD_DATA)\n${GATEWAY_HELP}`);
    return;
  }
  const log = createLogger({ component: 'up' });
  const repository = values.repository ?? join(resolve(values['data-dir']), 'models');
  await writeExampleRepository(repository);
  const gateway = await Gateway.start(gatewayConfigFromArgs(values, repository), log.child({ component: 'gateway' }));
  onShutdownSignal(() => gateway.close(), log);
  const { host } = gateway.config;
  const base = `http://${host}:${gateway.ports.http}`;
  process.stdout.write(
    [
      '',
      'Switchyard is serving the example models (tabular, mlp).',
      `  REST     ${base}/v2            (Open Inference Protocol v2)`,
      `  gRPC     ${host}:${gateway.ports.grpc}   (inference.GRPCInferenceService)`,
      `  metrics  http://${host}:${gateway.ports.metrics}/metrics`,
      '',
      'Try:',
      `  curl -s ${base}/v2/models/tabular/infer -H 'Content-Type: application/json' \\`,
      `    -d '{"inputs":[{"name":"features","shape":[1,8],"datatype":"FP32","data":[45.9,-0.45,3.46,-15.47,1093.28,0.58,7.46,3.83]}]}'`,
      '',
      'Ctrl-C stops it gracefully.',
      '',
    ].join('\n'),
  );
}
