/**
 * A registry and gateways that follow it, for the traffic tests: the registry
 * runs in-process (temp data dir, admin + read tokens), gateways in-process
 * (`startFollowingGateway`) or as `switchyard gateway` child processes
 * (`spawnGateway`), every port chosen by the OS. Plus the registry calls the
 * tests make (register, traffic, archive) and polls on a gateway's applied state.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayConfig } from '../../gateway/config.js';
import { Gateway } from '../../gateway/gateway.js';
import { createLogger } from '../../runtime/log.js';
import { ADMIN_TOKEN, call, READ_TOKEN, register, startTestRegistry, type TestRegistry } from '../models/registry/helpers.js';
import { tabularManifest, tabularOnnx } from './traffic-models.js';
import { metricValue } from './gateway.js';
import { until as untilHolds } from './poll.js';

export { ADMIN_TOKEN, READ_TOKEN, startTestRegistry, type TestRegistry } from '../models/registry/helpers.js';

const quiet = (): ReturnType<typeof createLogger> => createLogger({ component: 'gateway' }, process.env.SWITCHYARD_LOG_LEVEL ? undefined : 'error');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every `everyMs` until it holds; fails naming `what` after `timeoutMs`. */
export function until(what: string | (() => string), condition: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 10): Promise<void> {
  return untilHolds(what, condition, timeoutMs, everyMs);
}

/** Registers a version; returns its number. */
export async function registerVersion(registryUrl: string, model: string, onnx: Uint8Array, manifest: Record<string, unknown>): Promise<string> {
  const reply = await register(registryUrl, model, onnx, manifest);
  assert.equal(reply.status, 201, `registering a version of ${model}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return String(reply.body.version);
}

export interface TrafficBody {
  variants: Array<{ target: string; weight: number }>;
  shadow?: Array<{ target: string; percent: number }>;
  sticky_header?: string;
}

/** PUTs the policy; returns the model's revision after the change. */
export async function putTraffic(registryUrl: string, model: string, policy: TrafficBody): Promise<number> {
  const reply = await call(registryUrl, 'PUT', `/api/v1/models/${model}/traffic`, { token: ADMIN_TOKEN, body: policy });
  assert.equal(reply.status, 200, `PUT traffic of ${model} ${JSON.stringify(policy)}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.model.revision as number;
}

export async function archiveVersion(registryUrl: string, model: string, version: string): Promise<number> {
  const reply = await call(registryUrl, 'POST', `/api/v1/models/${model}/versions/${version}/archive`, { token: ADMIN_TOKEN });
  assert.equal(reply.status, 200, `archiving ${model} v${version}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.model.revision as number;
}

export interface FollowingGateway {
  gateway: Gateway;
  /** http://127.0.0.1:PORT */
  http: string;
  stop(): Promise<void>;
}

/** A gateway in this process following the registry (read token). Resolves once it serves the registry's snapshot. */
export async function startFollowingGateway(registryUrl: string, config: Partial<GatewayConfig> = {}): Promise<FollowingGateway> {
  const gateway = await Gateway.start({ httpPort: 0, grpcPort: 0, metricsPort: 0, registryUrl, registryToken: READ_TOKEN, ...config }, quiet());
  return { gateway, http: `http://127.0.0.1:${gateway.ports.http}`, stop: () => gateway.close() };
}

/** The weights the gateway's router applies for `model` (switchyard_traffic_weight_percent), by version; shadows under `shadow:<v>`. */
export async function appliedWeights(gateway: Gateway, model: string): Promise<Record<string, number>> {
  const metric = (await gateway.metricsRegistry()).getSingleMetric('switchyard_traffic_weight_percent');
  if (!metric) return {};
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    const labels = v.labels as Record<string, string>;
    if (labels.model !== model) continue;
    out[labels.role === 'shadow' ? `shadow:${labels.version}` : labels.version!] = v.value;
  }
  return out;
}

/** A registry holding the tabular example as `model` v1, and a gateway following it. */
export async function tabularStack(model: string, config: Partial<GatewayConfig> = {}): Promise<{ registry: TestRegistry; gw: FollowingGateway }> {
  const registry = await startTestRegistry();
  const onnx = tabularOnnx();
  assert.equal(await registerVersion(registry.url, model, onnx, tabularManifest(onnx)), '1');
  return { registry, gw: await startFollowingGateway(registry.url, config) };
}

/** Waits until the gateway applies the model's policy at `revision` or later. */
export async function untilRevision(gateway: Gateway, model: string, revision: number, timeoutMs = 20_000): Promise<void> {
  await until(`the gateway to apply revision ${revision} of ${model}`, async () => (await metricValue(gateway, 'switchyard_traffic_policy_revision', { model })) >= revision, timeoutMs);
}

// ---- gateway child processes ----------------------------------------------

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  http: string;
  metrics: string;
  /** Its stderr so far (JSON log lines), for failure messages. */
  log(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * `switchyard gateway --registry URL ...` with every port 0; resolves with the
 * ports it reports in its "gateway ready" log line (so no port is guessed).
 */
export async function spawnGateway(args: string[], options: { logLevel?: string; timeoutMs?: number } = {}): Promise<GatewayProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [CLI, 'gateway', '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: options.logLevel ?? 'info' },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ http: number; metrics: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway child did not report ready within ${timeoutMs} ms; its log:\n${stderr}`)), timeoutMs);
    child.stderr!.setEncoding('utf8');
    let found = false;
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      if (found) return;
      const line = stderr.split('\n').slice(0, -1).find((l) => l.includes('"gateway ready"'));
      if (!line) return;
      found = true;
      const entry = JSON.parse(line) as { http: number; metrics: number };
      clearTimeout(timer);
      resolve({ http: entry.http, metrics: entry.metrics });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway child exited with ${code} before it was ready; its log:\n${stderr}`));
    });
  });
  let ports: { http: number; metrics: number };
  try {
    ports = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    child,
    http: `http://127.0.0.1:${ports.http}`,
    metrics: `http://127.0.0.1:${ports.metrics}/metrics`,
    log: () => stderr,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Samples of one metric from a Prometheus text exposition: labels → value. */
export function samplesOf(exposition: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const m of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    out.push({ labels, value: Number(match[2]) });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `labels`, from a Prometheus text exposition (0 when absent). */
export function sampleSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(exposition, name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl);
  assert.equal(res.status, 200, `GET ${metricsUrl}`);
  return res.text();
}

/** Weights a gateway's /metrics shows for `model`, by version; shadows under `shadow:<v>`. */
export function weightsIn(exposition: string, model: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samplesOf(exposition, 'switchyard_traffic_weight_percent')) {
    if (s.labels.model === model) out[s.labels.role === 'shadow' ? `shadow:${s.labels.version}` : s.labels.version!] = s.value;
  }
  return out;
}

/** Threads of process `pid` running at nice 19 (Linux: field 19 of /proc/<pid>/task/<tid>/stat); undefined elsewhere. */
export function nice19Threads(pid: number | 'self'): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let count = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // After "pid (comm) ", fields[0] is stat field 3 (state): nice, field 19, is fields[16].
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[16]) === 19) count++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return count;
}
