/**
 * `switchyard bench load`: load on a running gateway, for the operator's own model. The request
 * is built from the model's metadata (GET /v2/models/{m}: its FP32 input, seeded values, `--rows`
 * rows) or read from an Open Inference Protocol JSON request (`--body FILE`); then, per step, a
 * warm-up and a measured window, closed loop (fixed concurrency) or open loop (fixed arrival
 * rate: latency from the scheduled send, so queueing is not hidden). HDR percentiles,
 * throughput and errors by kind, as a markdown table on stdout and JSON with `--out`. Bounded in
 * time; loopback targets only (it is a load generator, not a way to flood a neighbour).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { runClosedLoop } from './closed-loop.js';
import { summarize, type LatencySummary } from './hdr.js';
import { runOpenLoop } from './open-loop.js';
import { seededRows, type TensorPayload } from './payload.js';
import { isTargetName, makeClient, TARGETS, type Endpoints, type TargetName } from './targets.js';

const HELP = `usage: switchyard bench load --model NAME [options]

  --url URL             the gateway's REST address (default http://127.0.0.1:8000; loopback only)
  --grpc HOST:PORT      its gRPC address, for --target grpc (default 127.0.0.1:8001)
  --model NAME          the model to load (required)
  --target NAME         http-binary | http-json | grpc (default http-binary)
  --rows N              rows per request, for a body built from the model's metadata (default 1)
  --body FILE           or: an Open Inference Protocol JSON request to send (its first input, FP32)
  --concurrency LIST    closed loop: requests in flight per step (default 1,8,64)
  --rate LIST           open loop instead: requests per second per step, e.g. 500,2000
  --max-inflight N      open loop: outstanding requests at most; beyond, counted as client_overflow (default 1024)
  --warmup-s N          per step, not measured (default 2)
  --duration-s N        per step, measured (default 10; at most 300)
  --out FILE.json       also write the results as JSON (and the table beside it as FILE.md)
`;

const MAX_STEP_S = 300;

interface StepResult {
  target: TargetName;
  model: string;
  mode: 'closed' | 'open';
  concurrency?: number;
  rate?: number;
  rows_per_request: number;
  requests_per_s: number;
  rows_per_s: number;
  latency: LatencySummary;
  errors: Record<string, number>;
}

const progress = (msg: string): void => void process.stderr.write(`[bench load] ${msg}\n`);

function list(raw: string, name: string): number[] {
  const values = raw.split(',').map((s) => Number(s.trim()));
  if (values.some((n) => !(n > 0))) throw new Error(`--${name} must be a comma-separated list of numbers > 0, got '${raw}'`);
  return values;
}

function positive(raw: string, name: string, max = Infinity): number {
  const n = Number(raw);
  if (!(n > 0 && n <= max)) throw new Error(`--${name} must be a number > 0${max < Infinity ? ` and <= ${max}` : ''}, got '${raw}'`);
  return n;
}

function loopbackOnly(host: string, flag: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  const loopback = bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
  if (!loopback) throw new Error(`${flag}: ${host} is not a loopback address; the load generator only targets this machine (127.0.0.1, ::1, localhost)`);
  return bare === 'localhost' ? '127.0.0.1' : bare;
}

/** The model's first input and output, and a seeded FP32 body of `rows` rows of the input's width. */
async function payloadFromMetadata(baseUrl: string, model: string, rows: number): Promise<TensorPayload> {
  const res = await fetch(`${baseUrl}/v2/models/${encodeURIComponent(model)}`).catch((err: Error) => {
    throw new Error(`cannot reach the gateway at ${baseUrl} (${(err.cause as { code?: string })?.code ?? err.message}); is it running?`);
  });
  const meta = (await res.json()) as { error?: string; inputs?: { name: string; datatype: string; shape: number[] }[]; outputs?: { name: string }[] };
  if (!res.ok) throw new Error(`model metadata of '${model}': ${res.status} ${meta.error ?? ''}`);
  const input = meta.inputs?.[0];
  const output = meta.outputs?.[0];
  if (!input || !output) throw new Error(`model '${model}' declares no input or no output`);
  if ((meta.inputs?.length ?? 0) > 1 || input.datatype !== 'FP32' || input.shape.length !== 2 || !(input.shape[1]! > 0)) {
    throw new Error(`model '${model}' takes ${JSON.stringify(meta.inputs)}: a body from metadata needs one FP32 input of shape [-1, N]; pass --body FILE instead`);
  }
  const width = input.shape[1]!;
  return { model, input: input.name, output: output.name, shape: [rows, width], data: seededRows(rows, width) };
}

/** The first input of an OIP JSON request file (flat or nested `data`), FP32. */
async function payloadFromFile(file: string, model: string): Promise<TensorPayload> {
  let body: { inputs?: { name?: string; shape?: number[]; datatype?: string; data?: unknown }[]; outputs?: { name?: string }[] };
  try {
    body = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`--body ${file}: ${(err as Error).message}`);
  }
  const input = body.inputs?.[0];
  if (!input?.name || !Array.isArray(input.shape) || input.datatype !== 'FP32' || (body.inputs?.length ?? 0) > 1) {
    throw new Error(`--body ${file}: expected an Open Inference Protocol request with one FP32 input {"name", "shape", "datatype": "FP32", "data"}`);
  }
  const data = Float32Array.from((input.data as unknown[] | undefined)?.flat(Infinity) as number[]);
  const expected = input.shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`--body ${file}: input '${input.name}' has ${data.length} values, its shape ${JSON.stringify(input.shape)} needs ${expected}`);
  return { model, input: input.name, output: body.outputs?.[0]?.name ?? '', shape: input.shape, data };
}

function table(steps: StepResult[]): string {
  const int = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows = steps.map((s) => {
    const l = s.latency;
    const errors = Object.entries(s.errors).map(([k, n]) => `${k}: ${n}`).join(', ') || '0';
    return `| ${s.target} | ${s.mode} | ${s.mode === 'closed' ? s.concurrency : `${int(s.rate!)}/s`} | ${int(s.rows_per_s)} | ${int(s.requests_per_s)} | ${l.p50Us} | ${l.p90Us} | ${l.p99Us} | ${l.p999Us} | ${l.maxUs} | ${errors} |`;
  });
  return ['| target | mode | conc. / rate | rows/s | req/s | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | errors |', '|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|', ...rows].join('\n') + '\n';
}

export async function loadCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8000' },
      grpc: { type: 'string', default: '127.0.0.1:8001' },
      model: { type: 'string' },
      target: { type: 'string', default: 'http-binary' },
      rows: { type: 'string', default: '1' },
      body: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      'max-inflight': { type: 'string', default: '1024' },
      'warmup-s': { type: 'string', default: '2' },
      'duration-s': { type: 'string', default: '10' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (!values.model) throw new Error('--model is required (the model to put under load)');
  const target = values.target!;
  if (!isTargetName(target) || !['http-binary', 'http-json', 'grpc'].includes(target)) throw new Error(`--target must be http-binary, http-json or grpc, got '${target}' (also: ${Object.keys(TARGETS).join(', ')})`);
  if (values.concurrency && values.rate) throw new Error('--concurrency (closed loop) and --rate (open loop) exclude each other');
  const url = new URL(values.url!);
  const [grpcHost, grpcPort] = [values.grpc!.slice(0, values.grpc!.lastIndexOf(':')), Number(values.grpc!.slice(values.grpc!.lastIndexOf(':') + 1))];
  const endpoints: Endpoints = { host: loopbackOnly(url.hostname, '--url'), httpPort: Number(url.port || 80), grpcPort };
  if (target === 'grpc') endpoints.host = loopbackOnly(grpcHost, '--grpc');
  const warmupMs = positive(values['warmup-s']!, 'warmup-s', MAX_STEP_S) * 1000;
  const durationMs = positive(values['duration-s']!, 'duration-s', MAX_STEP_S) * 1000;
  const rows = positive(values.rows!, 'rows');
  const payload = values.body ? await payloadFromFile(values.body, values.model) : await payloadFromMetadata(`http://${url.host}`, values.model, rows);
  const rowsPerRequest = payload.shape[0]!;
  const client = makeClient(target, endpoints, payload);

  const steps: StepResult[] = [];
  const base = { target, model: values.model, rows_per_request: rowsPerRequest };
  const timer = (label: string): NodeJS.Timeout => {
    const started = Date.now();
    return setInterval(() => progress(`${label}: ${Math.round((Date.now() - started) / 1000)} s of ${(warmupMs + durationMs) / 1000} s`), 1000);
  };
  if (values.rate) {
    for (const rate of list(values.rate, 'rate')) {
      const ticking = timer(`open loop ${rate}/s`);
      const r = await runOpenLoop({ client, rate, warmupMs, durationMs, maxInflight: positive(values['max-inflight']!, 'max-inflight'), rowsPerRequest }).finally(() => clearInterval(ticking));
      steps.push({ ...base, mode: 'open', rate, requests_per_s: r.requestsPerSecond, rows_per_s: r.rowsPerSecond, latency: summarize(r.histogram), errors: r.errors });
      progress(`open loop ${rate}/s: ${Math.round(r.requestsPerSecond)} answered/s, p99 ${summarize(r.histogram).p99Us} µs, errors ${JSON.stringify(r.errors)}`);
    }
  } else {
    for (const concurrency of list(values.concurrency ?? '1,8,64', 'concurrency')) {
      const ticking = timer(`closed loop c=${concurrency}`);
      const r = await runClosedLoop({ client, concurrency, warmupMs, durationMs, rowsPerRequest }).finally(() => clearInterval(ticking));
      steps.push({ ...base, mode: 'closed', concurrency, requests_per_s: r.requestsPerSecond, rows_per_s: r.rowsPerSecond, latency: summarize(r.histogram), errors: r.errors });
      progress(`closed loop c=${concurrency}: ${Math.round(r.requestsPerSecond)} req/s, p99 ${summarize(r.histogram).p99Us} µs, errors ${JSON.stringify(r.errors)}`);
    }
  }
  const markdown = table(steps);
  process.stdout.write(markdown);
  if (values.out) {
    await writeFile(values.out, JSON.stringify({ date: new Date().toISOString(), url: values.url, steps }, null, 2) + '\n');
    if (values.out.endsWith('.json')) await writeFile(values.out.slice(0, -'.json'.length) + '.md', markdown);
  }
}
