/**
 * The concurrency-1 latency once more with wrk (C, one thread, one connection), when it is
 * installed: a Node load client adds its own event-loop wake-up to every request, so the
 * gateway's added latency is read more faithfully through a client that has none.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandInstalled } from './installed-command.js';
import { httpBinaryBody, inferPath, type TensorPayload } from './payload.js';
import { runWrk, wrkScript } from './wrk.js';

export interface WrkLatency {
  p50Us: number;
  p99Us: number;
  requestsPerSecond: number;
}

/** undefined when wrk is not installed. */
export async function wrkLatencyAtConcurrency1(host: string, port: number, payload: TensorPayload, seconds: number): Promise<WrkLatency | undefined> {
  if (!(await commandInstalled('wrk'))) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-wrk-'));
  try {
    const script = join(dir, 'infer.lua');
    await writeFile(script, wrkScript(httpBinaryBody(payload)));
    const url = `http://${host}:${port}${inferPath(payload)}`;
    await runWrk(script, url, 1, 1);
    const window = await runWrk(script, url, 1, seconds);
    return { p50Us: window.p50Us, p99Us: window.p99Us, requestsPerSecond: window.requests / window.seconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
