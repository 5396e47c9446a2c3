/**
 * Run as a child process by test/gateway/worker-crash.test.ts, so that a
 * native abort cannot take the test runner down with it. Prints one JSON line.
 *
 * A gateway serves `mlp` with two worker threads, A and B (pipelineDepth 1).
 * A is killed while idle, then its replacement while it boots; meanwhile B
 * runs one long batch. The report says how that request was answered and
 * whether B — healthy all along — survived the recovery.
 */
import { startTestGateway } from './gateway.js';
import { post, seededRows, waitFor } from './infer-fixtures.js';

export interface BootDeathReport {
  statuses: Record<string, number>;
  /** B was never terminated and still serves in the pool. */
  healthyWorkerSurvived: boolean;
  threadsAtEnd: number;
}

// A batch of 2,048 rows keeps B busy for longer than any recovery delay.
const ROWS = 2048;
const tg = await startTestGateway({ pipelineDepth: 1, overrides: { instances: 2, maxBatchSize: ROWS } });
const mv = tg.gateway.catalog.resolve('mlp');
const [a, b] = mv.pool.threads;
if (!a || !b) throw new Error(`expected two worker threads, got ${mv.pool.threads.length}`);

// A dies idle; piscina starts a replacement, which dies at once, before it is ready: piscina does not replace that one.
await a.terminate();
await waitFor('a replacement for A', () => mv.pool.threads.length === 2, 5_000, 0);
await mv.pool.threads.find((t) => t !== b)!.terminate();

// Meanwhile B runs one long batch (binary tensor extension), and nothing else reaches the pool.
const input = seededRows(ROWS, 256, 77);
const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, 256], parameters: { binary_data_size: input.byteLength } }] }));
const body = new Uint8Array(Buffer.concat([header, Buffer.from(input.buffer)]));
const headers = { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.byteLength) };
const answers = [post(`${tg.http}/v2/models/mlp/infer`, body, headers, 30_000).catch((err: Error) => ({ status: -1, text: err.message }))];

const statuses: Record<string, number> = {};
for (const answer of await Promise.all(answers)) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
// The pool refills shortly after the boot death (the gateway nudges piscina to start a worker).
await waitFor('the pool to be refilled', () => mv.pool.threads.length === 2, 5_000).catch(() => undefined);
const report: BootDeathReport = {
  statuses,
  healthyWorkerSurvived: b.threadId !== -1 && mv.pool.threads.includes(b),
  threadsAtEnd: mv.pool.threads.length,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
await tg.stop();
