/**
 * Runs a version's batches on the shard's own loop: no thread hop on the
 * request path (one costs 60–250 µs of wake-ups here, more than a whole HTTP
 * round trip). One batch at a time — the run blocks the loop — so everything
 * that arrived during a run joins the next one.
 */
import type { BatchExecutor, RunResult, RunTask } from './batch-task.js';
import { OrtSession } from './ort-session.js';
import { runPacked } from './packed-run.js';

export class InlineExecutor implements BatchExecutor {
  readonly capacity = 1;
  /** Reused for every batch: ORT is done with a batch's inputs when its run returns. */
  private scratch = new ArrayBuffer(0);

  private constructor(private readonly session: OrtSession) {}

  /** Loads the session on this thread and runs `warmup` once, so the first request does not pay for ORT's first-run allocations. */
  static load(model: Uint8Array, provider: string, intraOpThreads: number, warmup: RunTask): InlineExecutor {
    const session = OrtSession.load(model, { providers: [provider], intraOpThreads });
    const first = runPacked(session, warmup);
    if (!first.ok) {
      session.release();
      throw new Error(first.error.message);
    }
    return new InlineExecutor(session);
  }

  inputBuffer(bytes: number): ArrayBuffer {
    if (this.scratch.byteLength < bytes) this.scratch = new ArrayBuffer(Math.max(bytes, 2 * this.scratch.byteLength));
    return this.scratch;
  }

  run(task: RunTask): Promise<RunResult> {
    return Promise.resolve(runPacked(this.session, task));
  }

  close(): void {
    this.session.release();
  }
}
