/**
 * A version's session pool as the shards use it (real session workers, real
 * ORT, the shard's PoolExecutor over the pool's ports): a worker that dies is
 * replaced, a replacement that cannot load is retried, batches that waited for
 * a worker are answered, and a healthy worker is never touched by the
 * recovery of another.
 *
 * A replacement is made to fail while it boots by corrupting the ONNX bytes
 * the pool loads from, then restoring them: the real failure path (ORT
 * refuses the model), deterministic, and safe — a thread terminated while it
 * is inside onnxruntime-node's native code can abort the whole process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { parseManifest } from '../../../models/manifest.js';
import { mlpExample } from '../../../models/examples.js';
import type { RunResult } from '../../../gateway/execution/batch-task.js';
import { PoolExecutor } from '../../../gateway/execution/pool-executor.js';
import { SessionPool } from '../../../gateway/execution/session-pool.js';
import { warmupTask } from '../../../gateway/execution/warmup.js';
import { packBatch } from '../../../gateway/inference/batch-packing.js';
import { assertClose, expectedMlp, seededRows, waitFor } from '../../helpers/infer-fixtures.js';

const example = mlpExample();
const manifest = parseManifest({ ...example.fields, sha256: '0'.repeat(64) }, 'test');

function runRows(executor: PoolExecutor, input: Float32Array, rows: number): Promise<RunResult> {
  const packed = packBatch(manifest.inputs, [{ tensors: [input], shapes: [[rows, 256]], rows, shapeKey: '' }]);
  return executor.run({ buffer: packed.buffer, inputs: packed.tensors, outputs: ['probabilities'] });
}

function probabilities(result: RunResult): Float32Array {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  const out = result.outputs[0]!;
  return new Float32Array(out.buffer, out.byteOffset, out.length);
}

interface PoolEvents {
  crashed: number;
  replaced: number[];
  /** The shards' executors, connected again to a replaced worker as the gateway's catalog does. */
  executors: PoolExecutor[];
}

async function openPool(model: Uint8Array, instances: number, events: PoolEvents): Promise<SessionPool> {
  const pool: SessionPool = await SessionPool.open(
    { model, providers: ['cpu'], intraOpThreads: 1, lowPriority: false, warmup: warmupTask(manifest, 1) },
    {
      workerCrashed: () => events.crashed++,
      replaced: (slot) => {
        events.replaced.push(slot);
        for (const executor of events.executors) executor.replace(slot, pool.connectSlot(slot));
      },
    },
  );
  await pool.grow(instances);
  return pool;
}

const exited = (worker: Worker): Promise<unknown> => new Promise((resolve) => worker.once('exit', resolve));

describe('session pool', () => {
  it('a replacement that fails to load is retried; the batch that waited for it is answered', async (t) => {
    const model = new Uint8Array(example.onnx);
    const events: PoolEvents = { crashed: 0, replaced: [], executors: [] };
    const pool = await openPool(model, 1, events);
    const executor = new PoolExecutor(pool.connect(), 1);
    events.executors.push(executor);
    t.after(async () => {
      executor.close();
      await pool.close();
    });

    const first = pool.threads[0]!;
    const saved = model.slice();
    model.fill(7);
    // dies idle: no batch lost; every replacement fails while the bytes are corrupt
    await first.terminate();
    await waitFor('the crash to be counted', () => events.crashed === 1, 5_000);
    // the shard's end of the dead worker's port closes right after (a batch sent before that would fail, to be retried)
    await new Promise((resolve) => setTimeout(resolve, 100));
    const input = seededRows(2, 256, 41);
    const waiting = runRows(executor, input, 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(events.replaced, [], 'no replacement could load yet');
    model.set(saved);

    assertClose(probabilities(await waiting), expectedMlp(input, 2), 'the batch that waited for a worker');
    assert.deepEqual(events.replaced, [0], 'slot 0 was replaced once a replacement loaded');
    assert.equal(events.crashed, 1, 'a replacement that failed to load is no crash of a serving worker');
    assert.equal(pool.threads.length, 1);
    assert.notEqual(pool.threads[0], first);
  });

  it("a worker's death and its replacement's failure leave the healthy worker and its batch alone", async (t) => {
    const model = new Uint8Array(example.onnx);
    const events: PoolEvents = { crashed: 0, replaced: [], executors: [] };
    const pool = await openPool(model, 2, events);
    // a shard's view of B alone, so that the long batch lands on B
    const onB = new PoolExecutor([pool.connectSlot(1)], 1);
    t.after(async () => {
      onB.close();
      await pool.close();
    });

    const [a, b] = pool.threads as Worker[];
    // B takes a long batch; A, idle, dies, and its replacements fail to load until the bytes are restored.
    const long = seededRows(2048, 256, 42);
    const busy = runRows(onB, long, 2048);
    const saved = model.slice();
    model.fill(7);
    await a!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    model.set(saved);

    const result = probabilities(await busy);
    assertClose(result.subarray(0, 16), expectedMlp(long.subarray(0, 256), 1), 'first row of the long batch');
    assertClose(result.subarray(-16), expectedMlp(long.subarray(-256), 1), 'last row of the long batch');
    await waitFor('A to be replaced', () => events.replaced.length === 1, 10_000);
    assert.equal(pool.threads[1], b, 'B was never replaced');
    assert.equal(b!.threadId > 0, true, 'B is alive');
    assert.equal(events.crashed, 1);
    const both = new PoolExecutor(pool.connect(), 1);
    t.after(() => both.close());
    const inputs = [seededRows(1, 256, 43), seededRows(1, 256, 44)];
    const answers = await Promise.all(inputs.map((input) => runRows(both, input, 1)));
    answers.forEach((answer, i) => assertClose(probabilities(answer), expectedMlp(inputs[i]!, 1), `answer ${i} with both workers serving again`));
  });

  it("a worker that dies with batches in flight fails them, and only them, as SY_ERR_WORKER_CRASHED", async (t) => {
    const events: PoolEvents = { crashed: 0, replaced: [], executors: [] };
    const pool = await openPool(new Uint8Array(example.onnx), 1, events);
    const executor = new PoolExecutor(pool.connect(), 2);
    events.executors.push(executor);
    t.after(async () => {
      executor.close();
      await pool.close();
    });
    const worker = pool.threads[0]!;
    const gone = exited(worker);
    pool.crashOnNextBatch(0);
    const input = seededRows(1, 256, 44);
    await assert.rejects(runRows(executor, input, 1), (err: Error & { code?: string }) => err.code === 'SY_ERR_WORKER_CRASHED' && /retry/.test(err.message));
    await gone;
    assertClose(probabilities(await runRows(executor, input, 1)), expectedMlp(input, 1), 'the next batch waits for the replacement and is answered');
    assert.equal(events.crashed, 1);
    assert.deepEqual(events.replaced, [0]);
  });
});
