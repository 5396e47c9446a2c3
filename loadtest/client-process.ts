/**
 * The benchmark's handle on the load client process (client-main.ts): start
 * it on the given CPUs, send it steps and probes, one at a time, and stop it.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadStep, LoadStepResult } from './load-step.js';
import type { PayloadSpec } from './payload.js';
import { spawnNode, stopChild } from './spawn-node.js';
import type { Endpoints, TargetName } from './targets.js';

type ClientCall = { kind: 'run'; step: LoadStep } | { kind: 'probe'; target: TargetName; endpoints: Endpoints; payload: PayloadSpec };

export type ClientRequest = ClientCall & { id: number };

export type ClientReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

const MAIN = fileURLToPath(new URL('./client-main.js', import.meta.url));

export class ClientProcess {
  private next = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ClientReply) => {
      const w = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (!w) return;
      if (message.ok) w.resolve(message.result);
      else w.reject(new Error(`load client: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load client exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  static start(cpus: string | undefined): ClientProcess {
    return new ClientProcess(spawnNode(MAIN, [], { cpus, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(step: LoadStep): Promise<LoadStepResult> {
    return this.call({ kind: 'run', step }) as Promise<LoadStepResult>;
  }

  probe(target: TargetName, endpoints: Endpoints, payload: PayloadSpec): Promise<number[]> {
    return this.call({ kind: 'probe', target, endpoints, payload }) as Promise<number[]>;
  }

  stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    return stopChild(this.child, 2_000);
  }

  private call(request: ClientCall): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...request, id } as ClientRequest);
    });
  }
}
