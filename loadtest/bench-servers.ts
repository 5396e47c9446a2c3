/**
 * The servers `npm run bench` measures, each alone on the machine in turn:
 * how each starts, which targets it serves over which wire format, and what it
 * must answer (a transport echo its fixed answer, a model server raw ORT's
 * outputs). The gateway serves both models from one process; the naive server
 * loads one model file, so it is started per model.
 */
import { join } from 'node:path';
import { MODEL_FILE } from '../models/manifest.js';
import { versionDirectory } from '../models/repository-writer.js';
import type { ServerTarget } from './bench-run.js';
import { ECHO_GRPC_MESSAGE, ECHO_HTTP_BODY } from './echo-answers.js';
import { freePorts } from './free-port.js';
import { GatewayProcess, type GatewayFlags } from './gateway-process.js';
import { ServerProcess } from './server-process.js';
import type { Wire } from './wire-request.js';

export const HOST = '127.0.0.1';

export interface RunningServer {
  readonly pid: number;
  port(wire: Wire): number;
  readonly metricsUrl?: string;
  /** Why the run cannot go on (the server died), or undefined. */
  failure(): string | undefined;
  stop(): Promise<void>;
}

export interface ServerKind {
  name: string;
  targets: ReadonlyArray<{ target: ServerTarget; wire: Wire }>;
  /** Started afresh for each model (it loads one), or once for both. */
  perModel: boolean;
  /** The answer of a transport echo; absent: the model's outputs, as raw ORT computes them. */
  fixedAnswer?: Buffer;
  start(model: string): Promise<RunningServer>;
}

export interface BenchServerSetup {
  repository: string;
  /** echo-http threads (the gateway's shard count). */
  threads: number;
  /** Flags the gateway takes (already checked against its --help). */
  gatewayFlags: GatewayFlags;
}

function baseline(server: ServerProcess, name: string): RunningServer {
  return {
    pid: server.pid,
    port: () => server.port,
    failure: () => (server.exited ? `${name} exited` : undefined),
    stop: () => server.stop(),
  };
}

export function benchServers(setup: BenchServerSetup): ServerKind[] {
  return [
    {
      name: 'transport-echo-http',
      targets: [{ target: 'transport-echo-http', wire: 'http-binary' }],
      perModel: false,
      fixedAnswer: ECHO_HTTP_BODY,
      start: async () => baseline(await ServerProcess.start('echo-http', 'echo-http-server.js', [String(setup.threads), String((await freePorts(1, HOST))[0]), HOST]), 'echo-http'),
    },
    {
      name: 'transport-echo-grpc',
      targets: [{ target: 'transport-echo-grpc', wire: 'grpc' }],
      perModel: false,
      fixedAnswer: ECHO_GRPC_MESSAGE,
      start: async () => baseline(await ServerProcess.start('echo-grpc', 'echo-grpc-server.js', [HOST, '0']), 'echo-grpc'),
    },
    {
      name: 'naive-http',
      targets: [{ target: 'naive-http', wire: 'http-json' }],
      perModel: true,
      start: async (model) => {
        const modelFile = join(versionDirectory(setup.repository, model, '1'), MODEL_FILE);
        return baseline(await ServerProcess.start('naive', 'naive-server.js', [modelFile, model, HOST, '0']), 'naive');
      },
    },
    {
      name: 'switchyard',
      targets: [
        { target: 'switchyard-http-json', wire: 'http-json' },
        { target: 'switchyard-http-binary', wire: 'http-binary' },
        { target: 'switchyard-grpc', wire: 'grpc' },
      ],
      perModel: false,
      start: async () => {
        const gateway = await GatewayProcess.start({ repository: setup.repository, flags: setup.gatewayFlags });
        return {
          pid: gateway.pid,
          port: (wire) => (wire === 'grpc' ? gateway.ports.grpc : gateway.ports.http),
          metricsUrl: gateway.metricsUrl,
          failure: () => (gateway.exited ? `gateway exited:\n${gateway.logTail()}` : undefined),
          stop: () => gateway.stop(),
        };
      },
    },
  ];
}
