/**
 * The whole loop on one machine as supervised child processes: registry (+ training runner and
 * rollout controller), monitor, gateway. The monitor's retraining webhooks go to the registry,
 * the registry reads the monitor's labels and the gateway's metrics, the gateway follows the
 * registry and streams its records to the monitor. Shared by `switchyard up` and `switchyard demo`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../runtime/log.js';
import { answers, Supervisor } from '../runtime/supervisor.js';

export interface StackOptions {
  dataDir: string;
  host: string;
  /** Gateway REST on portBase, gRPC +1, metrics +2; monitor +10 (HTTP) and +11 (ingest); registry +20. */
  portBase: number;
  /** Extra options per process (after the ones the stack sets). */
  registryArgs?: string[];
  monitorArgs?: string[];
  gatewayArgs?: string[];
}

export interface StackUrls {
  gateway: string;
  grpc: string;
  gatewayMetrics: string;
  monitor: string;
  registry: string;
}

export interface Stack {
  urls: StackUrls;
  /** The registry admin token of this data directory. */
  token: string;
  stop(): Promise<void>;
}

export const DEFAULT_PORT_BASE = 8000;
/** Each port of the stack, as an offset from the port base. */
const PORT_OFFSET = { gateway: 0, grpc: 1, metrics: 2, monitor: 10, ingest: 11, registry: 20 } as const;
type PortName = keyof typeof PORT_OFFSET;

export function stackUrls(host: string, portBase: number): StackUrls {
  const at = (name: PortName): string => `http://${host.includes(':') ? `[${host}]` : host}:${portBase + PORT_OFFSET[name]}`;
  return { gateway: at('gateway'), grpc: `${host}:${portBase + PORT_OFFSET.grpc}`, gatewayMetrics: `${at('metrics')}/metrics`, monitor: at('monitor'), registry: at('registry') };
}

/** Resolves once the gateway serves `model` (its ready endpoint answers 200). */
export async function waitForModel(urls: StackUrls, model: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(`${urls.gateway}/v2/models/${encodeURIComponent(model)}/ready`))) {
    if (Date.now() > deadline) throw new Error(`the gateway did not load the model '${model}' within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A secret of this data directory, created on first start (readable by its owner only). */
async function dataDirSecret(dataDir: string, file: string, create: () => string): Promise<string> {
  const path = join(dataDir, file);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    const secret = create();
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

/** Each port of the stack must be free: a process already there (another `up`) would answer the readiness checks in place of ours. */
async function requireFreePorts(host: string, portBase: number): Promise<void> {
  for (const offset of Object.values(PORT_OFFSET)) {
    const port = portBase + offset;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, host, () => probe.close(() => resolve(true)));
    });
    if (!free) throw new Error(`port ${port} on ${host} is in use — is Switchyard already running (npm start)? Stop it, or pass --port-base to use other ports`);
  }
}

export async function startStack(options: StackOptions, log: Logger): Promise<Stack> {
  const { dataDir, host, portBase } = options;
  await requireFreePorts(host, portBase);
  await mkdir(dataDir, { recursive: true });
  const token = await dataDirSecret(dataDir, 'admin-token', () => randomBytes(24).toString('hex'));
  const webhookSecret = await dataDirSecret(dataDir, 'webhook-secret', () => `whsec_${randomBytes(32).toString('base64')}`);
  const urls = stackUrls(host, portBase);
  const env = { SWITCHYARD_ADMIN_TOKENS: `up:${token}`, SWITCHYARD_TOKEN: token, SWITCHYARD_WEBHOOK_SECRET: webhookSecret };
  const supervisor = new Supervisor(log);
  const port = (name: PortName): string => String(portBase + PORT_OFFSET[name]);
  try {
    await supervisor.start({
      name: 'registry',
      args: ['registry', '--data-dir', dataDir, '--host', host, '--port', port('registry'), '--monitor', urls.monitor, '--gateway-metrics', urls.gatewayMetrics, ...(options.registryArgs ?? [])],
      env,
      ready: () => answers(`${urls.registry}/healthz`),
    });
    await supervisor.start({
      name: 'monitor',
      args: ['monitor', '--registry', urls.registry, '--host', host, '--http-port', port('monitor'), '--grpc-port', port('ingest'), '--webhook', `${urls.registry}/api/v1/webhooks/retrain`, ...(options.monitorArgs ?? [])],
      env,
      ready: () => answers(`${urls.monitor}/healthz`),
    });
    await supervisor.start({
      name: 'gateway',
      args: ['gateway', '--registry', urls.registry, '--monitor', `${host}:${port('ingest')}`, '--host', host, '--http-port', port('gateway'), '--grpc-port', port('grpc'), '--metrics-port', port('metrics'), ...(options.gatewayArgs ?? [])],
      env,
      ready: () => answers(`${urls.gateway}/v2/health/ready`),
    });
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
  return { urls, token, stop: () => supervisor.stop() };
}
