/**
 * A pool's session worker (see session-pool): one ORT session of one model
 * version, loaded when the thread starts, timed on a warm-up batch and
 * reported to the pool. Any number of shards then send it batches, each over
 * a port of its own; the worker runs them one at a time, in arrival order,
 * and transfers the outputs back.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { answerRequests } from '../threads/port-requests.js';
import type { RunResult, RunTask } from './batch-task.js';
import { OrtSession } from './ort-session.js';
import { runPacked } from './packed-run.js';
import type { WorkerLoaded, SessionWorkerData, ToSessionWorker } from './session-pool.js';

/** Timed warm-up runs; their median is the run time reported. */
const TIMED_RUNS = 5;

const data = workerData as SessionWorkerData;
// On Linux this lowers only this thread (and the ORT threads it starts), not the process.
if (data.lowPriority) setPriority(19);

function load(): WorkerLoaded {
  const session = OrtSession.load(data.model, { providers: data.providers, intraOpThreads: data.intraOpThreads });
  const first = runPacked(session, data.warmup);
  if (!first.ok) throw new Error(first.error.message);
  const times: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    const started = performance.now();
    runPacked(session, data.warmup);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  serve(session);
  return { kind: 'loaded', provider: session.provider, dropped: [...session.dropped], inputNames: session.inputNames, outputNames: session.outputNames, runMs: times[TIMED_RUNS >> 1]! };
}

let crashOnNextBatch = false;

function serve(session: OrtSession): void {
  parentPort!.on('message', (message: ToSessionWorker) => {
    if (message.kind === 'crash-on-next-batch') return void (crashOnNextBatch = true);
    answerRequests<RunTask, RunResult>(message.port, (task) => {
      if (crashOnNextBatch) process.exit(70);
      const result = runPacked(session, task);
      // Output buffers are handed over, not copied.
      return { value: result, transfer: result.ok ? [...new Set(result.outputs.map((o) => o.buffer))] : [] };
    });
  });
}

try {
  parentPort!.postMessage(load());
} catch (err) {
  parentPort!.postMessage({ kind: 'failed', error: err instanceof Error ? err.message : String(err) } satisfies WorkerLoaded);
}
