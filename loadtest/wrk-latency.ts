/**
 * The concurrency-1 latency once more with wrk (C, one thread, one connection), when it is
 * installed: a Node load client adds its own event-loop wake-up to every request, so the
 * gateway's added latency is read more faithfully through a client that has none.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpBinaryBody, inferPath, type TensorPayload } from './payload.js';

const run = promisify(execFile);

export interface WrkLatency {
  p50Us: number;
  p99Us: number;
  requestsPerSecond: number;
}

/** A Lua string literal holding any bytes. */
function luaBytes(bytes: Buffer): string {
  return `"${[...bytes].map((b) => `\\${String(b).padStart(3, '0')}`).join('')}"`;
}

function micros(text: string, percentile: string): number {
  const m = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
  if (!m) throw new Error(`wrk printed no ${percentile}% latency:\n${text}`);
  return Math.round(Number(m[1]) * { us: 1, ms: 1000, s: 1_000_000 }[m[2] as 'us' | 'ms' | 's']);
}

/** undefined when wrk is not installed. */
export async function wrkLatencyAtConcurrency1(host: string, port: number, payload: TensorPayload, seconds: number): Promise<WrkLatency | undefined> {
  if (!(await run('wrk', ['--version']).then(() => true, (err: { code?: string }) => err.code !== 'ENOENT'))) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-wrk-'));
  try {
    const { body, headers } = httpBinaryBody(payload);
    const script = join(dir, 'infer.lua');
    await writeFile(script, [`wrk.method = "POST"`, `wrk.body = ${luaBytes(body)}`, ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`)].join('\n') + '\n');
    const url = `http://${host}:${port}${inferPath(payload)}`;
    await run('wrk', ['-t1', '-c1', '-d1s', '-s', script, url]);
    const { stdout } = await run('wrk', ['-t1', '-c1', `-d${seconds}s`, '--latency', '-s', script, url]);
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    return { p50Us: micros(stdout, '50'), p99Us: micros(stdout, '99'), requestsPerSecond: rps ? Number(rps[1]) : 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
