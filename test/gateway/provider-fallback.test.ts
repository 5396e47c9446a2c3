/**
 * "Execution providers per model from the manifest (e.g. ["cuda","cpu"]): when
 * a provider cannot load, fall back to the next, log it once, and label the
 * metrics with the provider actually used."
 *
 * There is no GPU here, so CUDA cannot load: the real fallback path runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gateway } from '../../gateway/gateway.js';
import type { ExampleModel } from '../../models/examples.js';
import { writeModelVersion } from '../../models/repository-writer.js';
import type { Logger } from '../../runtime/log.js';
import { metricValue } from '../helpers/gateway.js';
import { assertClose, errorOf, expectedMlp, expectedTabular, featuresBody, mlpModel, post, probabilitiesOf, seededRows, tabularModel } from '../helpers/infer-fixtures.js';

interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every line (with its child fields) in `entries`. */
function capturingLogger(entries: LogEntry[], base: Record<string, unknown> = {}): Logger {
  const at =
    (level: LogEntry['level']) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      void entries.push({ level, msg, fields: { ...base, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (fields) => capturingLogger(entries, { ...base, ...fields }) };
}

/** A pool-mode version: `instances` session workers, whatever the number of shards. */
async function writeVersion(repository: string, example: ExampleModel, providers: string[], instances = 1): Promise<void> {
  await writeModelVersion(repository, { ...example.fields, execution: { mode: 'pool', instances, intra_op_threads: 1, providers } }, example.onnx);
}

async function startGateway(repository: string, entries: LogEntry[], overrides: { providers?: string[] } = {}): Promise<Gateway> {
  return Gateway.start({ repository, httpPort: 0, grpcPort: 0, metricsPort: 0, overrides }, capturingLogger(entries, { component: 'gateway' }));
}

const fallbacks = (entries: LogEntry[], model?: string): LogEntry[] =>
  entries.filter((e) => e.fields.provider === 'cuda' && /fall/i.test(e.msg) && (model === undefined || e.fields.model === model));

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-providers-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('execution providers from the manifest', () => {
  const entries: LogEntry[] = [];
  let gateway: Gateway;
  let http: string;

  before(async () => {
    const repository = join(dir, 'fallback');
    // tabular prefers CUDA (two instances: two sessions fall back, one log line); mlp runs on the CPU only.
    await writeVersion(repository, tabularModel(), ['cuda', 'cpu'], 2);
    await writeVersion(repository, mlpModel(), ['cpu']);
    gateway = await startGateway(repository, entries);
    http = `http://127.0.0.1:${gateway.ports.http}`;
  });

  after(async () => {
    await gateway?.close();
  });

  it('falls back from cuda to cpu and serves the right answers', async () => {
    assert.deepEqual(
      gateway.catalog.entries().map((e) => [e.name, e.state]),
      [
        ['mlp', 'READY'],
        ['tabular', 'READY'],
      ],
    );
    const input = seededRows(5, 8, 51);
    assertClose(probabilitiesOf(await post(`${http}/v2/models/tabular/infer`, featuresBody(input, 5))).data, expectedTabular(input, 5), 'tabular on the fallback provider');
    const mlpInput = seededRows(1, 256, 52);
    assertClose(probabilitiesOf(await post(`${http}/v2/models/mlp/infer`, featuresBody(mlpInput, 1))).data, expectedMlp(mlpInput, 1), 'mlp');
  });

  it('says so once in the log, naming the model, the provider, the fallback and why', () => {
    const lines = fallbacks(entries);
    assert.equal(lines.length, 1, `one fallback line for one model version with two instances, got ${JSON.stringify(lines)}`);
    const [line] = lines;
    assert.equal(line!.level, 'warn');
    assert.equal(line!.fields.model, 'tabular');
    assert.equal(line!.fields.version, '1');
    assert.equal(line!.fields.fallback, 'cpu');
    assert.equal(typeof line!.fields.reason, 'string');
    assert.ok((line!.fields.reason as string).length > 0, 'the reason is given');
    assert.deepEqual(fallbacks(entries, 'mlp'), [], 'a cpu-only model logs no fallback');
    const ready = entries.filter((e) => e.msg === 'model version ready' && e.fields.model === 'tabular');
    assert.equal(ready.length, 1);
    assert.equal(ready[0]!.fields.provider, 'cpu', 'the ready line names the provider in use');
  });

  it('labels the metrics with the provider actually used, never the one that failed', async () => {
    const labels = { model: 'tabular', version: '1' };
    assert.equal(await metricValue(gateway, 'switchyard_model_instances', { ...labels, provider: 'cpu' }), 2, 'two instances on cpu');
    assert.equal(await metricValue(gateway, 'switchyard_model_instances', { ...labels, provider: 'cuda' }), 0);
    assert.ok((await metricValue(gateway, 'switchyard_compute_duration_seconds_count', { ...labels, provider: 'cpu' })) >= 1, 'compute time is labelled cpu');
    const text = await (await gateway.metricsRegistry()).metrics();
    assert.ok(!text.includes('provider="cuda"'), 'no series carries provider="cuda"');
    const scraped = await (await fetch(`http://127.0.0.1:${gateway.ports.metrics}/metrics`)).text();
    assert.match(scraped, /switchyard_model_instances\{model="tabular",version="1",provider="cpu",mode="pool"\} 2/);
    assert.ok(!scraped.includes('provider="cuda"'));
  });
});

describe('execution providers from the gateway options', () => {
  it('an override ["cuda","cpu"] falls back for every model, once each', async () => {
    const repository = join(dir, 'override');
    await writeVersion(repository, tabularModel(), ['cpu']);
    await writeVersion(repository, mlpModel(), ['cpu']);
    const entries: LogEntry[] = [];
    const gateway = await startGateway(repository, entries, { providers: ['cuda', 'cpu'] });
    try {
      for (const model of ['tabular', 'mlp']) {
        assert.equal(fallbacks(entries, model).length, 1, `${model}: one fallback line`);
        assert.equal(await metricValue(gateway, 'switchyard_model_instances', { model, provider: 'cpu' }), 1);
      }
      assert.ok(!(await (await gateway.metricsRegistry()).metrics()).includes('provider="cuda"'));
      const input = seededRows(2, 8, 53);
      assertClose(probabilitiesOf(await post(`http://127.0.0.1:${gateway.ports.http}/v2/models/tabular/infer`, featuresBody(input, 2))).data, expectedTabular(input, 2), 'tabular');
    } finally {
      await gateway.close();
    }
  });
});

describe('a model whose only provider is unavailable', () => {
  it('is refused with the reason, and the other models still serve', async () => {
    const repository = join(dir, 'cuda-only');
    await writeVersion(repository, tabularModel(), ['cuda']);
    await writeVersion(repository, mlpModel(), ['cpu']);
    const entries: LogEntry[] = [];
    const gateway = await startGateway(repository, entries);
    try {
      const http = `http://127.0.0.1:${gateway.ports.http}`;
      const tabular = gateway.catalog.entries().find((e) => e.name === 'tabular');
      assert.equal(tabular?.state, 'UNAVAILABLE');
      assert.match(tabular!.reason, /cuda/i, `the reason names the provider: ${tabular!.reason}`);
      assert.ok(
        entries.some((e) => e.level === 'error' && e.fields.model === 'tabular' && /cuda/i.test(String(e.fields.reason))),
        'the refusal is logged with its reason',
      );

      const refused = await post(`${http}/v2/models/tabular/infer`, featuresBody(seededRows(1, 8, 54), 1));
      assert.equal(refused.status, 503, refused.text);
      assert.match(errorOf(refused), /tabular/);
      assert.equal((await fetch(`${http}/v2/models/tabular/ready`)).status, 503);
      assert.equal(await metricValue(gateway, 'switchyard_model_instances', { model: 'tabular' }), 0, 'no instances reported for a model that did not load');

      const input = seededRows(1, 256, 55);
      assertClose(probabilitiesOf(await post(`${http}/v2/models/mlp/infer`, featuresBody(input, 1))).data, expectedMlp(input, 1), 'mlp still serves');
    } finally {
      await gateway.close();
    }
  });
});

describe('the process log of a fallback (the real CLI, its stderr)', () => {
  it(
    'is one structured JSON line: stderr carries nothing else about the provider that failed',
    async () => {
      const repository = join(dir, 'cli');
      await writeVersion(repository, tabularModel(), ['cuda', 'cpu'], 2);
      const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
      const child = spawn(process.execPath, [cli, 'gateway', '-r', repository, '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'info' },
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const until = Date.now() + 30_000;
      while (!stderr.includes('"gateway ready"') && child.exitCode === null && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      assert.equal(await exited, 0, stderr.slice(-2000));
      clearTimeout(timer);

      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      const notJson = lines.filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
      assert.deepEqual(notJson, [], 'every stderr line is a structured JSON log line');
      const aboutCuda = lines.filter((line) => /cuda/i.test(line));
      assert.equal(aboutCuda.length, 1, `one line about the CUDA fallback, got:\n${aboutCuda.join('\n')}`);
      assert.equal(JSON.parse(aboutCuda[0]!).provider, 'cuda');
    },
  );
});
