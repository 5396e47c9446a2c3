/**
 * Acceptance (issue 3): "With weights 90/10 over 10,000 requests without a
 * key, the canary share is within 10 ± 1.5%; with sticky keys, each of 1,000
 * keys always lands on the same version; moving 10 → 20 moves only keys from
 * stable to canary."
 *
 * Over real HTTP against a gateway that follows a real registry: `tabular` v1
 * (stable) and v2 (the same ONNX bytes registered again: the answer's version
 * is what tells them apart). The version of every answer is read from the
 * `x-switchyard-model-version` header and checked against `model_version` in
 * the body.
 *
 * Statistics: 10,000 unkeyed draws at p = 0.1 have a standard deviation of
 * 0.3 percentage points, so ± 1.5 is five of them; 1,000 keys at 10% moved
 * have a standard deviation of ~0.95 points, so the moved-share bound
 * (10 ± 5%) is also five: a failure here is a routing bug, not bad luck.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inParallel, KeepAlivePool, type RawReply } from '../helpers/keepalive-http.js';
import { inferBody, tabularManifest, tabularOnnx, tabularRows } from '../helpers/traffic-models.js';
import {
  appliedWeights,
  putTraffic,
  registerVersion,
  startFollowingGateway,
  startTestRegistry,
  untilRevision,
  type FollowingGateway,
  type TestRegistry,
} from '../helpers/traffic-stack.js';

const MODEL = 'tabular';
const INFER = `/v2/models/${MODEL}/infer`;
const KEYS = 1000;
const SENDS_PER_KEY = 3;
const CONCURRENCY = 64;

interface Answer {
  version: string;
  role: string;
}

/** Checks a 200 answer and returns who answered it. */
function answerOf(reply: RawReply, what: string): Answer {
  assert.equal(reply.status, 200, `${what}: ${reply.status} ${reply.body.toString('utf8')}`);
  const version = reply.headers['x-switchyard-model-version'] ?? '';
  const role = reply.headers['x-switchyard-role'] ?? '';
  const body = JSON.parse(reply.body.toString('utf8')) as { model_version: string; parameters?: { role?: string } };
  assert.equal(body.model_version, version, `${what}: body model_version and header agree`);
  assert.equal(body.parameters?.role, role, `${what}: body parameters.role and header agree`);
  return { version, role };
}

describe('traffic split: weights, sticky keys, pins (registry → gateway over HTTP)', () => {
  let registry: TestRegistry;
  let gw: FollowingGateway;
  let pool: KeepAlivePool;
  const bodies = tabularRows(32).map(inferBody);

  const send = (headers: Record<string, string>, i: number, path = INFER): Promise<RawReply> =>
    pool.request({ path, headers: { 'Content-Type': 'application/json', ...headers }, body: bodies[i % bodies.length]! });

  /** Every key sent SENDS_PER_KEY times (all keys once, then again, ...); returns the versions each key saw. */
  async function versionsByKey(): Promise<Map<string, Set<string>>> {
    const seen = new Map<string, Set<string>>();
    await inParallel(KEYS * SENDS_PER_KEY, CONCURRENCY, async (i) => {
      const key = `user-${i % KEYS}`;
      const { version } = answerOf(await send({ 'x-switchyard-key': key }, i), `key ${key}`);
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(version);
    });
    return seen;
  }

  before(async () => {
    registry = await startTestRegistry();
    const onnx = tabularOnnx();
    assert.equal(await registerVersion(registry.url, MODEL, onnx, tabularManifest(onnx)), '1');
    assert.equal(await registerVersion(registry.url, MODEL, onnx, tabularManifest(onnx)), '2');
    const revision = await putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 90 }, { target: '2', weight: 10 }] });
    gw = await startFollowingGateway(registry.url);
    await untilRevision(gw.gateway, MODEL, revision);
    assert.deepEqual(await appliedWeights(gw.gateway, MODEL), { '1': 90, '2': 10 }, 'the gateway applies the registry policy');
    pool = new KeepAlivePool(gw.http, CONCURRENCY);
  });

  after(async () => {
    pool?.close();
    await gw?.stop();
    await registry?.stop();
  });

  it('90/10 without a key: the canary share of 10,000 requests is within 10 ± 1.5%', async (t) => {
    const answers = await inParallel(10_000, CONCURRENCY, async (i) => answerOf(await send({}, i), `unkeyed request ${i}`));
    const canary = answers.filter((a) => a.version === '2');
    const share = (100 * canary.length) / answers.length;
    t.diagnostic(`canary share over ${answers.length} unkeyed requests: ${share.toFixed(2)}%`);
    assert.deepEqual([...new Set(answers.map((a) => a.version))].sort(), ['1', '2'], 'only the two versions in the policy answer');
    assert.ok(Math.abs(share - 10) <= 1.5, `canary share ${share.toFixed(2)}% is outside 10 ± 1.5%`);
    assert.ok(canary.every((a) => a.role === 'canary'), 'v2 answers as canary');
    assert.ok(answers.filter((a) => a.version === '1').every((a) => a.role === 'stable'), 'v1 (the stable alias) answers as stable');
  });

  it('sticky keys: each of 1,000 keys always lands on one version; 10 → 20 moves only keys from stable to canary', async (t) => {
    const before90 = await versionsByKey();
    const split = [...before90].filter(([, versions]) => versions.size !== 1).map(([key, versions]) => `${key}: ${[...versions].join(',')}`);
    assert.deepEqual(split, [], 'every key gets one version on all its requests');
    const onCanary = [...before90.values()].filter((v) => v.has('2')).length;
    assert.ok(onCanary >= 50 && onCanary <= 150, `${onCanary} of ${KEYS} keys on the canary at 10% (expected ~100)`);

    const revision = await putTraffic(registry.url, MODEL, { variants: [{ target: '1', weight: 80 }, { target: '2', weight: 20 }] });
    await untilRevision(gw.gateway, MODEL, revision);
    assert.deepEqual(await appliedWeights(gw.gateway, MODEL), { '1': 80, '2': 20 });

    const after80 = await versionsByKey();
    const stillSplit = [...after80].filter(([, versions]) => versions.size !== 1).map(([key]) => key);
    assert.deepEqual(stillSplit, [], 'after the change, every key again gets one version on all its requests');
    const moves = new Map<string, number>();
    for (const [key, versions] of before90) {
      const from = [...versions][0]!;
      const to = [...after80.get(key)!][0]!;
      if (from !== to) moves.set(`${from}→${to}`, (moves.get(`${from}→${to}`) ?? 0) + 1);
    }
    assert.equal(moves.get('2→1') ?? 0, 0, 'no key moves from the canary back to stable');
    const moved = moves.get('1→2') ?? 0;
    t.diagnostic(`keys on the canary at 90/10: ${onCanary} of ${KEYS}; moved by 90/10 → 80/20: ${JSON.stringify(Object.fromEntries(moves))}`);
    assert.deepEqual([...moves.keys()].filter((m) => m !== '1→2'), [], 'keys only move v1 → v2');
    assert.ok(moved >= 50 && moved <= 150, `${moved} of ${KEYS} keys moved v1 → v2; expected ~10% of keys (the 80-90% slice of the hash range)`);
  });

  it('pins: x-switchyard-version: 2 answers v2, /versions/1/infer answers v1 (over a sticky key), an unknown version is 404', async () => {
    // A key that the weights send to v2, to show a pin wins over stickiness.
    let canaryKey = '';
    for (let k = 0; canaryKey === ''; k++) {
      const { version } = answerOf(await send({ 'x-switchyard-key': `probe-${k}` }, k), 'probe');
      if (version === '2') canaryKey = `probe-${k}`;
    }
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(answerOf(await send({ 'x-switchyard-version': '2' }, i), 'pinned to v2'), { version: '2', role: 'canary' });
      assert.equal(answerOf(await send({ 'x-switchyard-key': canaryKey }, i, `/v2/models/${MODEL}/versions/1/infer`), 'URL v1').version, '1');
      assert.equal(answerOf(await send({ 'x-switchyard-key': canaryKey }, i, `/v2/models/${MODEL}/versions/2/infer`), 'URL v2').version, '2');
    }

    for (const reply of [await send({ 'x-switchyard-version': '99' }, 0), await send({}, 0, `/v2/models/${MODEL}/versions/99/infer`)]) {
      assert.equal(reply.status, 404, `pin to an unknown version: ${reply.status} ${reply.body.toString('utf8')}`);
      const { error } = JSON.parse(reply.body.toString('utf8')) as { error: string };
      assert.match(error, /'99'/, `the 404 names the version asked for: ${error}`);
      assert.match(error, /1, 2|served versions/, `the 404 says which versions are served: ${error}`);
    }
    const conflicting = await send({ 'x-switchyard-version': '2' }, 0, `/v2/models/${MODEL}/versions/1/infer`);
    assert.equal(conflicting.status, 400, `header pin 2 with URL version 1: ${conflicting.status} ${conflicting.body.toString('utf8')}`);
  });
});
