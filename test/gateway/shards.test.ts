/**
 * The sharded gateway: N shard threads, each with its own uWebSockets.js app
 * on the one REST port, its own catalog replica and sessions.
 *
 * - Connections are spread over the shards (SO_REUSEPORT) and every shard
 *   answers alike.
 * - A shard that dies under load is replaced: the connections it held are
 *   lost (each loses at most the request it was answering, as a connection
 *   error, never a wrong or failed answer), connections on the other shard
 *   lose nothing, and the replacement — brought up to date before it listens
 *   — serves new connections and takes gRPC back over.
 * - Inline and pool versions serve side by side.
 *
 * Which shard holds a connection is found from the shards' own request
 * counters: one request on the connection, and the shard whose counter moved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Gateway } from '../../gateway/gateway.js';
import { writeModelVersion } from '../../models/repository-writer.js';
import { exampleRepository, metricValue, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { InferenceClient, outputTensors, rawInferRequest } from '../helpers/grpc-client.js';
import { assertClose, expectedMlp, expectedTabular, featuresBody, mlpModel, post, probabilitiesOf, seededRows, tabularModel, waitFor } from '../helpers/infer-fixtures.js';
import { KeepAliveConnection } from '../helpers/keepalive-http.js';

const SHARDS = 2;
const ROWS = Array.from({ length: 16 }, (_, i) => seededRows(1, 8, 700 + i));

/** Requests each live shard has counted, by shard index. */
async function requestsByShard(gateway: Gateway): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  await Promise.all(
    gateway.shards.all().map(async (shard) => {
      const series = await shard.request<Array<MetricObjectWithValues<MetricValue<string>>>>({ kind: 'metrics' });
      const requests = series.find((m) => m.name === 'switchyard_requests_total');
      counts.set(shard.index, (requests?.values ?? []).reduce((n, v) => n + v.value, 0));
    }),
  );
  return counts;
}

function tabularRequest(i: number): { path: string; headers: Record<string, string>; body: string } {
  return { path: '/v2/models/tabular/infer', headers: { 'Content-Type': 'application/json' }, body: featuresBody(ROWS[i % ROWS.length]!, 1) };
}

function assertTabularAnswer(body: Buffer, i: number, what: string): void {
  const output = (JSON.parse(body.toString('utf8')) as { outputs: Array<{ data: number[] }> }).outputs[0]!;
  assertClose(output.data, expectedTabular(ROWS[i % ROWS.length]!, 1), what);
}

/** Opens connections until every shard holds at least one; returns each with the shard it landed on. */
async function connectionsOnEveryShard(tg: TestGateway, count: number): Promise<Array<{ connection: KeepAliveConnection; shard: number }>> {
  const out: Array<{ connection: KeepAliveConnection; shard: number }> = [];
  while (out.length < count || new Set(out.map((c) => c.shard)).size < SHARDS) {
    assert.ok(out.length < 200, 'the kernel spread 200 connections over fewer shards than there are');
    const connection = new KeepAliveConnection('127.0.0.1', tg.gateway.ports.http);
    const before = await requestsByShard(tg.gateway);
    const reply = await connection.request(tabularRequest(out.length));
    assert.equal(reply.status, 200, reply.body.toString());
    const after = await requestsByShard(tg.gateway);
    const moved = [...after].filter(([shard, n]) => n !== before.get(shard)).map(([shard]) => shard);
    assert.equal(moved.length, 1, `one request moved one shard's counter: ${JSON.stringify([...before])} → ${JSON.stringify([...after])}`);
    out.push({ connection, shard: moved[0]! });
  }
  return out;
}

let repository: Awaited<ReturnType<typeof exampleRepository>>;
before(async () => {
  repository = await exampleRepository();
});
after(async () => {
  await repository?.remove();
});

describe('shards on one port', () => {
  let tg: TestGateway;
  before(async () => {
    tg = await startTestGateway({ shards: SHARDS }, repository.dir);
  });
  after(() => tg?.stop());

  it('spreads connections over every shard, and every shard answers alike', async () => {
    const connections = await connectionsOnEveryShard(tg, 8);
    try {
      assert.deepEqual([...new Set(connections.map((c) => c.shard))].sort(), [0, 1], 'requests over many connections reached both shards');
      for (const [k, { connection, shard }] of connections.entries()) {
        const reply = await connection.request(tabularRequest(k));
        assert.equal(reply.status, 200);
        assertTabularAnswer(reply.body, k, `connection ${k} on shard ${shard}`);
      }
      assert.equal(await metricValue(tg.gateway, 'switchyard_shards'), SHARDS);
      assert.equal(await metricValue(tg.gateway, 'switchyard_model_instances', { model: 'tabular', mode: 'inline' }), SHARDS, 'one inline session per shard');
    } finally {
      for (const { connection } of connections) connection.close();
    }
  });
});

describe('a shard killed under load', () => {
  let tg: TestGateway;
  let grpc: InferenceClient;
  before(async () => {
    tg = await startTestGateway({ shards: SHARDS }, repository.dir);
    grpc = new InferenceClient(tg.grpc);
  });
  after(async () => {
    grpc?.close();
    await tg?.stop();
  });

  it('is replaced; its connections lose at most their request in flight, the other shard loses nothing, gRPC comes back', async () => {
    const connections = await connectionsOnEveryShard(tg, 12);
    // shard 0 also serves gRPC: its replacement must take the gRPC port back
    const victim = 0;
    const outcomes = connections.map(() => ({ ok: 0, lost: 0, after: 0, bad: [] as string[] }));
    let killed = false;
    let stop = false;
    const loops = connections.map(async ({ connection }, k) => {
      for (let i = k; !stop; i += connections.length) {
        try {
          const reply = await connection.request(tabularRequest(i));
          if (reply.status !== 200) outcomes[k]!.bad.push(`${reply.status} ${reply.body.toString()}`);
          else {
            assertTabularAnswer(reply.body, i, `connection ${k}`);
            outcomes[k]!.ok++;
            if (killed) outcomes[k]!.after++;
          }
        } catch {
          outcomes[k]!.lost++;
        }
      }
    });
    try {
      await waitFor('load on every connection', () => outcomes.every((o) => o.ok >= 5), 20_000);
      const restartsBefore = await metricValue(tg.gateway, 'switchyard_shard_restarts_total');
      tg.gateway.shards.crash(victim);
      killed = true;
      await waitFor('the shard to be replaced', async () => (await metricValue(tg.gateway, 'switchyard_shard_restarts_total')) === restartsBefore + 1 && tg.gateway.shards.all().length === SHARDS, 20_000);
      await waitFor('every connection to be answered again', () => outcomes.every((o) => o.after >= 5), 20_000);
    } finally {
      stop = true;
      await Promise.all(loops);
      for (const { connection } of connections) connection.close();
    }

    outcomes.forEach((o, k) => assert.deepEqual(o.bad, [], `connection ${k}: every answer was a 200`));
    connections.forEach(({ shard }, k) => {
      const o = outcomes[k]!;
      if (shard === victim) assert.ok(o.lost <= 1, `connection ${k} on the dead shard lost ${o.lost} requests, at most its one in flight`);
      else assert.equal(o.lost, 0, `connection ${k} on the surviving shard ${shard} lost nothing`);
    });

    // the replacement takes new connections, with every model, and gRPC again
    const fresh = await connectionsOnEveryShard(tg, 4);
    for (const { connection } of fresh) connection.close();
    await waitFor('gRPC to answer again', async () => {
      try {
        await grpc.serverReady();
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    const input = seededRows(2, 256, 811);
    const [output] = outputTensors(await grpc.modelInfer(rawInferRequest('mlp', [{ name: 'features', datatype: 'FP32', shape: [2, 256], data: input }])));
    assertClose(output!.data as Float32Array, expectedMlp(input, 2), 'gRPC answer from the replacement shard');
    assert.equal((await fetch(`${tg.http}/v2/health/ready`)).status, 200);
  });
});

describe('inline and pool versions side by side', () => {
  let tg: TestGateway;
  let dir: Awaited<ReturnType<typeof exampleRepository>>;
  before(async () => {
    dir = await exampleRepository();
    const mlp = mlpModel();
    const tabular = tabularModel();
    // a second version of each, one per execution mode
    await writeModelVersion(dir.dir, { ...tabular.fields, version: '2', execution: { mode: 'inline', instances: 1, intra_op_threads: 1, providers: ['cpu'] } }, tabular.onnx);
    await writeModelVersion(dir.dir, { ...mlp.fields, version: '2', execution: { mode: 'pool', instances: 2, intra_op_threads: 1, providers: ['cpu'] } }, mlp.onnx);
    tg = await startTestGateway({ shards: SHARDS }, dir.dir);
  });
  after(async () => {
    await tg?.stop();
    await dir?.remove();
  });

  it('runs tabular v2 inline on every shard and mlp v2 on a pool of two workers; both answer right, over both transports', async () => {
    assert.equal(await metricValue(tg.gateway, 'switchyard_model_instances', { model: 'tabular', version: '2', mode: 'inline' }), SHARDS);
    assert.equal(await metricValue(tg.gateway, 'switchyard_model_instances', { model: 'mlp', version: '2', mode: 'pool' }), 2);
    assert.equal(await metricValue(tg.gateway, 'switchyard_model_instances', { model: 'mlp', version: '2', mode: 'inline' }), 0);
    assert.equal(tg.gateway.catalog.pool('mlp', '2')?.threads.length, 2, 'mlp v2 holds two session workers');
    assert.equal(tg.gateway.catalog.pool('tabular', '2'), undefined, 'tabular v2 has no pool');

    const answers = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const rows = 1 + (i % 3);
        if (i % 2 === 0) {
          const input = seededRows(rows, 8, 900 + i);
          return { answer: await post(`${tg.http}/v2/models/tabular/infer`, featuresBody(input, rows)), expected: expectedTabular(input, rows) };
        }
        const input = seededRows(rows, 256, 900 + i);
        return { answer: await post(`${tg.http}/v2/models/mlp/infer`, featuresBody(input, rows)), expected: expectedMlp(input, rows) };
      }),
    );
    for (const [i, { answer, expected }] of answers.entries()) {
      assert.equal(answer.headers.get('x-switchyard-model-version'), '2', `answer ${i} from v2 (the newest takes the traffic)`);
      assertClose(probabilitiesOf(answer).data, expected, `answer ${i}`);
    }
    const grpc = new InferenceClient(tg.grpc);
    try {
      for (const [model, width, expected] of [['tabular', 8, expectedTabular], ['mlp', 256, expectedMlp]] as const) {
        const input = seededRows(3, width, 950);
        const [output] = outputTensors(await grpc.modelInfer(rawInferRequest(model, [{ name: 'features', datatype: 'FP32', shape: [3, width], data: input }])));
        assertClose(output!.data as Float32Array, expected(input, 3), `gRPC ${model}`);
      }
    } finally {
      grpc.close();
    }
  });
});
