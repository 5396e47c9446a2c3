/**
 * Runs Switchyard's processes as supervised children for one machine: each is
 * restarted with backoff if it dies, and `stop` sends SIGTERM in reverse start
 * order, waiting for each to drain and exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from './log.js';

export interface ChildSpec {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Resolves when the child serves (e.g. its health endpoint answers). */
  ready(): Promise<boolean>;
}

const CLI = new URL('../cli/main.js', import.meta.url).pathname;
const MAX_BACKOFF_MS = 10_000;

class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: ChildSpec, private readonly log: Logger) {}

  start(): void {
    // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the children in order.
    const child = spawn(process.execPath, [CLI, ...this.spec.args], { env: { ...process.env, ...this.spec.env }, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    process.once('exit', () => child.kill('SIGTERM'));
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        resolve();
        if (this.stopping) return;
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.restarts++);
        this.log.error('process exited; restarting', { process: this.spec.name, code, signal, restart_in_ms: delay });
        setTimeout(() => !this.stopping && this.start(), delay).unref();
      });
    });
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.spec.ready().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.spec.name} did not become ready within ${timeoutMs / 1000} s`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.child?.kill('SIGTERM');
    await this.exited;
  }
}

export class Supervisor {
  private readonly children: SupervisedChild[] = [];

  constructor(private readonly log: Logger) {}

  /** Starts the child and waits until it is ready, so later children can rely on it. */
  async start(spec: ChildSpec, readyTimeoutMs = 60_000): Promise<void> {
    const child = new SupervisedChild(spec, this.log);
    this.children.push(child);
    child.start();
    await child.waitReady(readyTimeoutMs);
    this.log.info('process ready', { process: spec.name });
  }

  async stop(): Promise<void> {
    for (const child of [...this.children].reverse()) await child.stop();
  }
}

/** True when GET url answers 2xx. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false; // not listening (yet), or a pooled connection the server had just closed
  }
}
