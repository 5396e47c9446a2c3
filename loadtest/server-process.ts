/**
 * A baseline server of the benchmark (echo-http-server, echo-grpc-server,
 * naive-server) as a child process: started with its arguments, ready once it
 * prints `<name> ready <port>` on stdout, stopped with SIGTERM.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnNode, stopChild } from './spawn-node.js';

export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** `script`: a file of this folder, e.g. `naive-server.js`. */
  static start(name: string, script: string, args: readonly string[], timeoutMs = 20_000): Promise<ServerProcess> {
    const child = spawnNode(fileURLToPath(new URL(`./${script}`, import.meta.url)), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        void stopChild(child, 1_000);
        reject(new Error(`${name} ${why}`));
      };
      const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
      const onExit = (code: number | null, signal: string | null): void => fail(`exited (${signal ?? code}) before it was ready`);
      child.once('exit', onExit);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const ready = new RegExp(`^${name} ready (\\d+)$`, 'm').exec(out);
        if (!ready) return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(new ServerProcess(child, Number(ready[1])));
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 3_000);
  }
}
