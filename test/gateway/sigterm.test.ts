/**
 * Acceptance: "SIGTERM during load: every request accepted before the signal
 * is answered successfully; exit code 0."
 *
 * The real CLI (`switchyard gateway`) runs as a child process. A burst of HTTP
 * (keep-alive) and gRPC requests is sent; once the gateway has provably read
 * all of them — and before it has answered them all — it gets SIGTERM. Every
 * one of them must come back 200 / OK with the right answer; requests sent
 * after the signal may be refused (503 / UNAVAILABLE, or the connection is
 * refused); readiness answers 503 while draining; the process exits 0.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { status, type ServiceError } from '@grpc/grpc-js';
import { exampleRepository } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../helpers/grpc-client.js';
import { assertClose, expectedMlp, featuresBody, seededRows, sleep, waitFor } from '../helpers/infer-fixtures.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const FEATURES = 256;
const ROWS = 32;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Child {
  process: ChildProcess;
  http: number;
  grpc: number;
  metrics: number;
  /** stderr, one JSON log line each (or raw text). */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startGateway(repository: string): Promise<Child> {
  const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, 'gateway', '-r', repository, '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' },
  });
  const lines: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    'the gateway to be ready',
    async () => {
      if (gone) assert.fail(`the gateway exited before it was ready:\n${lines.join('\n')}`);
      return (await httpCall(http, 'GET', '/v2/health/ready').catch(() => undefined))?.status === 200;
    },
    30_000,
    50,
  );
  return { process: child, http, grpc, metrics, lines, exited };
}

/** Waits for the child to exit; kills it (SIGKILL) when it does not within `ms`. */
async function exitOf(child: Child, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const result = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (result !== 'late') return { ...result, killed: false };
  child.process.kill('SIGKILL');
  return { ...(await child.exited), killed: true };
}

type HttpOutcome = { status: number; text: string } | { error: string };

/** One HTTP request; `written` settles once the whole request has been handed to the kernel. */
function httpSend(port: number, method: string, path: string, body?: string | Buffer, agent: Agent | false = false, headers: Record<string, string> = {}): { written: Promise<void>; answer: Promise<HttpOutcome> } {
  let onWritten!: () => void;
  const written = new Promise<void>((resolve) => (onWritten = resolve));
  const answer = new Promise<HttpOutcome>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('finish', onWritten);
    req.on('error', (err: NodeJS.ErrnoException) => {
      onWritten();
      resolve({ error: err.code ?? err.message });
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.end(body);
  });
  return { written, answer };
}

async function httpCall(port: number, method: string, path: string): Promise<{ status: number; text: string }> {
  const outcome = await httpSend(port, method, path).answer;
  if ('error' in outcome) throw new Error(outcome.error);
  return outcome;
}

function probabilities(outcome: HttpOutcome, what: string): number[] {
  assert.ok(!('error' in outcome), `${what}: no answer (${'error' in outcome ? outcome.error : ''})`);
  assert.equal(outcome.status, 200, `${what}: ${outcome.status} ${outcome.text}`);
  const body = JSON.parse(outcome.text) as { outputs: Array<{ name: string; shape: number[]; data: number[] }> };
  const output = body.outputs.find((o) => o.name === 'probabilities')!;
  assert.deepEqual(output.shape, [ROWS, 16], what);
  return output.data;
}

/** The sum of a counter's samples in Prometheus text, filtered by a label fragment. */
function promSum(text: string, name: string, fragment: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(fragment))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The input as the binary tensor extension sends it (a JSON header, then the raw FP32 bytes); the answer comes back as JSON. */
function binaryBody(input: Float32Array): { binary: Buffer; headers: Record<string, string> } {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [ROWS, FEATURES], parameters: { binary_data_size: bytes.byteLength } }] }));
  return { binary: Buffer.concat([header, bytes]), headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.byteLength) } };
}

let repository: Awaited<ReturnType<typeof exampleRepository>>;
const children: Child[] = [];

before(async () => {
  repository = await exampleRepository();
});

after(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await repository?.remove();
});

describe('SIGTERM during load', () => {
  it('answers every request accepted before the signal with 200 / OK and the right answer, refuses later ones cleanly, and exits 0', async (t) => {
    const child = await startGateway(repository.dir);
    children.push(child);
    const samples = Array.from({ length: 8 }, (_, i) => {
      const input = seededRows(ROWS, FEATURES, 3100 + i);
      return { input, body: featuresBody(input, ROWS), ...binaryBody(input), expected: expectedMlp(input, ROWS) };
    });

    // The burst: 200 HTTP requests of 32 rows (binary tensor extension) over keep-alive connections,
    // then 20 gRPC calls of one row each.
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const grpc = new InferenceClient(`127.0.0.1:${child.grpc}`);
    try {
      assert.equal(await grpc.serverLive(), true, 'the gRPC channel is up before the burst');
      const http = Array.from({ length: 200 }, (_, i) => {
        const sample = samples[i % samples.length]!;
        return { i, ...httpSend(child.http, 'POST', '/v2/models/mlp/infer', sample.binary, agent, sample.headers) };
      });
      await Promise.all(http.map((h) => h.written));
      const calls = Array.from({ length: 20 }, (_, i) => {
        const sample = samples[i % samples.length]!;
        return grpc
          .modelInfer(rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [1, FEATURES], data: sample.input.subarray(0, FEATURES) }]))
          .then((response) => ({ ok: true as const, response, i }), (error: ServiceError) => ({ ok: false as const, error, i }));
      });

      // Proof that the gateway has read every request before the signal: each HTTP request is on the
      // wire; the gRPC channel answers a call made after the inference calls (their small messages fit
      // the HTTP/2 flow-control window, so they go out, and are read, in order); a metrics scrape made
      // after that is read after them all, and says how much is still unanswered.
      assert.equal(await grpc.serverLive(), true);
      const scrape = await httpCall(child.metrics, 'GET', '/metrics');
      const answeredBeforeSignal = promSum(scrape.text, 'switchyard_requests_total', 'status="OK"');
      assert.ok(answeredBeforeSignal < http.length + calls.length, `work is still in flight when the signal is sent (${answeredBeforeSignal} of 220 answered)`);

      child.process.kill('SIGTERM');
      t.diagnostic(`requests answered before SIGTERM: ${answeredBeforeSignal} of 220`);

      // Readiness while draining: once the gateway says it is draining, readiness is never 200.
      await waitFor('the gateway to log that it is draining', () => child.lines.some((l) => l.includes('gateway draining')) || child.process.exitCode !== null, 10_000, 2);
      const readiness: string[] = [];
      const late: Array<Promise<HttpOutcome>> = [];
      for (let i = 0; i < 50 && child.process.exitCode === null; i++) {
        const probe = await httpSend(child.http, 'GET', '/v2/health/ready').answer;
        if ('error' in probe) break;
        readiness.push(String(probe.status));
        if (i < 10) late.push(httpSend(child.http, 'POST', '/v2/models/mlp/infer', samples[i % samples.length]!.body).answer);
        await sleep(5);
      }
      assert.ok(readiness.every((s) => s === '503'), `readiness while draining is 503, got ${readiness.join(', ')}`);
      t.diagnostic(`readiness probes answered while draining: ${readiness.length}`);
      const lateGrpc = new InferenceClient(`127.0.0.1:${child.grpc}`);
      const lateCall = lateGrpc
        .modelInfer(rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [ROWS, FEATURES], data: samples[0]!.input }]), { deadline: Date.now() + 10_000 })
        .then(
          (response) => ({ ok: true as const, response }),
          (error: ServiceError) => ({ ok: false as const, error }),
        );

      // Every request accepted before the signal: 200 and the right answer.
      for (const h of http) {
        const data = probabilities(await h.answer, `HTTP request ${h.i} (sent before SIGTERM)`);
        assertClose(data, samples[h.i % samples.length]!.expected, `HTTP request ${h.i}`);
      }
      for (const call of await Promise.all(calls)) {
        assert.ok(call.ok, `gRPC call ${call.i} (sent before SIGTERM) failed: ${call.ok ? '' : `${call.error.code} ${call.error.details}`}`);
        const [output] = outputTensors(call.response);
        assertClose(output!.data as Float32Array, samples[call.i % samples.length]!.expected.subarray(0, 16), `gRPC call ${call.i}`);
      }

      // After the signal: the right answer, or a clean refusal.
      const lateOutcomes = await Promise.all(late);
      t.diagnostic(`HTTP requests sent while draining: ${lateOutcomes.map((o) => ('error' in o ? o.error : o.status)).join(', ') || 'none (the gateway was gone)'}`);
      for (const [i, outcome] of lateOutcomes.entries()) {
        if ('error' in outcome) {
          assert.match(outcome.error, /ECONNREFUSED|ECONNRESET|socket hang up/, `late HTTP request ${i}: ${outcome.error}`);
        } else if (outcome.status !== 200) {
          assert.equal(outcome.status, 503, `late HTTP request ${i}: ${outcome.status} ${outcome.text}`);
          assert.match(JSON.parse(outcome.text).error, /shutting down|draining/);
        } else {
          assertClose(probabilities(outcome, `late HTTP request ${i}`), samples[i % samples.length]!.expected, `late HTTP request ${i}`);
        }
      }
      const lateResult = await lateCall;
      lateGrpc.close();
      if (!lateResult.ok) assert.equal(lateResult.error.code, status.UNAVAILABLE, `late gRPC call: ${lateResult.error.code} ${lateResult.error.details}`);
      else assertClose(outputTensors(lateResult.response)[0]!.data as Float32Array, samples[0]!.expected, 'late gRPC call');
    } finally {
      grpc.close();
      agent.destroy();
    }

    const exit = await exitOf(child, 30_000);
    assert.equal(exit.killed, false, `the gateway did not exit within 30 s of SIGTERM:\n${child.lines.slice(-10).join('\n')}`);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, child.lines.slice(-10).join('\n'));
    assert.ok(child.lines.some((l) => l.includes('gateway stopped')), 'the gateway logged that it stopped');
  });

  it(
    'a client that hangs up halfway through its request body does not stop the drain: exit 0',
    async () => {
      const child = await startGateway(repository.dir);
      children.push(child);
      const socket = connect(child.http, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /v2/models/mlp/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"inputs": [');
      await sleep(100);
      socket.destroy();
      await sleep(100);
      // The gateway still serves others.
      assert.equal((await httpCall(child.http, 'GET', '/v2/health/ready')).status, 200);

      child.process.kill('SIGTERM');
      const exit = await exitOf(child, 8_000);
      assert.equal(exit.killed, false, `the gateway did not exit within 8 s of SIGTERM:\n${child.lines.slice(-5).join('\n')}`);
      assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    },
  );
});
