/**
 * Debian's `prometheus` and `promtool` for the deploy tests: whether they are installed (a loud
 * skip when not, a failure under CI=true), promtool runs, and a real Prometheus server on a free
 * loopback port with its own config and TSDB in a temporary directory, queried over its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface ToolGate {
  /** Why the tools cannot be used, or undefined. */
  problem: string | undefined;
  /** A `describe` option: the skip message, or false. Never a skip under CI=true. */
  skip: string | false;
}

export function prometheusGate(): ToolGate {
  let problem: string | undefined;
  for (const tool of ['promtool', 'prometheus']) {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error || r.status !== 0) {
      problem = `${tool} is not installed or does not run (${r.error?.message ?? `exit ${r.status}`})`;
      break;
    }
  }
  if (problem === undefined) return { problem, skip: false };
  if (process.env.CI === 'true') return { problem, skip: false };
  const banner = `\n${'!'.repeat(78)}\n!! SKIPPED: ${problem}.\n!! apt-get install --no-install-recommends prometheus (what .ci/run does) to run these tests; under CI=true they fail instead.\n${'!'.repeat(78)}\n`;
  process.stderr.write(banner);
  return { problem, skip: `SKIPPED, ${problem}` };
}

export interface ToolRun {
  status: number | null;
  output: string;
}

export function promtool(args: string[], input?: string): ToolRun {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export class PrometheusServer {
  private output = '';

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** Starts `prometheus` with `config` (an object, written as YAML) and waits until /-/ready answers. */
  static async start(config: unknown, timeoutMs = 20_000): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, stringify(config));
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) {
        await server.stop();
        throw new Error(`prometheus exited with ${child.exitCode} at start:\n${server.log}`);
      }
      const ready = await fetch(`${server.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return server;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`prometheus not ready after ${timeoutMs} ms:\n${server.log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  get log(): string {
    return this.output.slice(-4000);
  }

  /** An instant query; throws with Prometheus' error (a PromQL syntax error, say). */
  async query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query failed (${res.status}): ${body.error}\n  ${expr}`);
    if (body.data!.resultType !== 'vector') return [];
    return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** SIGTERM, then SIGKILL after 5 s; removes the TSDB. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
