/**
 * The contract every trainer honours, the built-in one included: a shell command with `{data}`
 * (the labeled dataset CSV) and `{out}` (a directory) placeholders, which writes
 * `{out}/model.onnx` and `{out}/metrics.json` (a JSON object of finite numbers) and exits 0.
 * It runs in its own process group, so a timeout stops whatever it started, not just the shell.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface TrainerCommandSpec {
  /** Shell command; {data} and {out} become shell-quoted absolute paths. */
  command: string;
  timeoutMs: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Aborted when the registry shuts down: the command's group is stopped as on a timeout. */
  signal?: AbortSignal;
}

export interface TrainerOutput {
  onnxPath: string;
  metrics: Record<string, number>;
}

export type TrainerFailureReason = 'exit' | 'timeout' | 'stopped' | 'missing_output' | 'bad_metrics' | 'spawn';

export class TrainerFailure extends Error {
  override name = 'TrainerFailure';
  constructor(
    readonly reason: TrainerFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export const MODEL_OUTPUT = 'model.onnx';
export const METRICS_OUTPUT = 'metrics.json';
/** Between SIGTERM and SIGKILL of a trainer's process group. */
const KILL_GRACE_MS = 2_000;
/** stderr lines quoted in a failure's message. */
const STDERR_TAIL = 10;
/** Longer lines (progress bars redrawn with \r) are cut, so one line cannot flood the job log. */
const MAX_LINE = 2_000;

/** POSIX single-quoting: safe for any path or value in /bin/sh. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function runTrainerCommand(spec: TrainerCommandSpec, dataPath: string, outDir: string, log: (line: string) => void): Promise<TrainerOutput> {
  if (!(Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0)) throw new TrainerFailure('spawn', `trainer timeoutMs must be a number > 0, got ${spec.timeoutMs}`);
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const command = spec.command.replaceAll('{data}', shellQuote(resolve(dataPath))).replaceAll('{out}', shellQuote(out));
  await runInGroup(command, spec, log);
  return readOutputs(out);
}

/** Resolves when the command exited 0; rejects with reason spawn, timeout or exit. */
function runInGroup(command: string, spec: TrainerCommandSpec, log: (line: string) => void): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } });
    const stderrTail: string[] = [];
    const tail = (): string => (stderrTail.length > 0 ? `; last stderr lines:\n${stderrTail.join('\n')}` : '; it wrote nothing to stderr');
    for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
        const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw;
        log(`${name}: ${line}`);
        if (name === 'stderr' && stderrTail.push(line) > STDERR_TAIL) stderrTail.shift();
      });
    }
    let stopping = false;
    let timedOut = false;
    // The whole group: what the shell started (a python trainer and its workers) goes too.
    const signalGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // ESRCH: the group is gone already, which is the aim
      }
    };
    const stopGroup = (): void => {
      if (stopping || child.pid === undefined) return;
      stopping = true;
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, spec.timeoutMs);
    spec.signal?.addEventListener('abort', stopGroup, { once: true });

    child.once('error', (err) => {
      clearTimeout(timer);
      fail(new TrainerFailure('spawn', `could not start the trainer command (/bin/sh -c ${command}): ${err.message}`));
    });
    // Whatever the shell left running in its group is stopped with it, so nothing outlives the job.
    child.once('exit', stopGroup);
    // 'close': exited and every output line read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (spec.signal?.aborted) return fail(new TrainerFailure('stopped', `trainer command stopped: the registry is shutting down${tail()}`));
      if (timedOut) return fail(new TrainerFailure('timeout', `trainer command did not finish within ${spec.timeoutMs} ms and was stopped (SIGTERM, SIGKILL after ${KILL_GRACE_MS / 1000} s)${tail()}`));
      if (code !== 0) return fail(new TrainerFailure('exit', `trainer command ${code === null ? `was killed by ${signal}` : `exited with code ${code}`}, expected 0${tail()}`));
      done();
    });
  });
}

async function readOutputs(out: string): Promise<TrainerOutput> {
  const onnxPath = join(out, MODEL_OUTPUT);
  const model = await stat(onnxPath).catch(() => undefined);
  if (!model?.isFile() || model.size === 0) {
    throw new TrainerFailure('missing_output', `the trainer exited 0 but ${onnxPath} ${model ? 'is not a non-empty file' : 'does not exist'}; a trainer must write {out}/${MODEL_OUTPUT}`);
  }
  const metricsPath = join(out, METRICS_OUTPUT);
  let text: string;
  try {
    text = await readFile(metricsPath, 'utf8');
  } catch {
    throw new TrainerFailure('missing_output', `the trainer exited 0 but ${metricsPath} does not exist; a trainer must write {out}/${METRICS_OUTPUT}`);
  }
  return { onnxPath, metrics: parseMetrics(text, metricsPath) };
}

function parseMetrics(text: string, where: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TrainerFailure('bad_metrics', `${where} is not JSON (${(err as Error).message}); expected an object of finite numbers, e.g. {"accuracy": 0.91}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TrainerFailure('bad_metrics', `${where} holds ${Array.isArray(value) ? 'an array' : String(value)}; expected an object of finite numbers, e.g. {"accuracy": 0.91}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainerFailure('bad_metrics', `${where}: "${key}" is ${JSON.stringify(v)}, expected a finite number`);
  }
  return value as Record<string, number>;
}
