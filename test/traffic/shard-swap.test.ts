/**
 * A traffic change reaches every shard before any shard routes by it: the
 * control plane has every shard load the new versions (pinned requests may
 * reach them from then on) before any shard switches its policy. So a caller
 * that pins the version it was just answered by never gets a 404, whichever
 * shard its next connection lands on, while versions come and go.
 *
 * Lanes of two keep-alive connections each (the kernel spreads them over the
 * shards): an unpinned request on one, then the version it named, pinned, on
 * the other — while the registry adds a version and moves all traffic to it,
 * three times over. Each new version is a larger model run inline, so every
 * shard in turn spends tens of milliseconds loading it while the other serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeepAliveConnection } from '../helpers/keepalive-http.js';
import { heavyOnnx, inferBody, tabularManifest, tabularRows } from '../helpers/traffic-models.js';
import { archiveVersion, putTraffic, registerVersion, sleep, tabularStack, untilRevision, type FollowingGateway, type TestRegistry } from '../helpers/traffic-stack.js';

const MODEL = 'tabular';
const LANES = 8;
const VERSION_HEADER = 'x-switchyard-model-version';

describe('a traffic change across shards', () => {
  let registry: TestRegistry;
  let gw: FollowingGateway;

  before(async () => {
    ({ registry, gw } = await tabularStack(MODEL, { shards: 2 }));
  });

  after(async () => {
    await gw?.stop();
    await registry?.stop();
  });

  it('never answers 404 to a pin on the version that just answered, on any shard, while versions come and go', async (t) => {
    const { port } = new URL(gw.http);
    const body = inferBody(tabularRows(1)[0]!);
    const failures: string[] = [];
    const pinnedTo: Record<string, number> = {};
    let stop = false;
    const lanes = Array.from({ length: LANES }, async () => {
      const unpinned = new KeepAliveConnection('127.0.0.1', Number(port));
      const pinned = new KeepAliveConnection('127.0.0.1', Number(port));
      try {
        while (!stop) {
          const first = await unpinned.request({ path: `/v2/models/${MODEL}/infer`, headers: { 'Content-Type': 'application/json' }, body });
          if (first.status !== 200) failures.push(`unpinned: ${first.status} ${first.body.toString()}`);
          const version = first.headers[VERSION_HEADER]!;
          const second = await pinned.request({ path: `/v2/models/${MODEL}/infer`, headers: { 'Content-Type': 'application/json', 'x-switchyard-version': version }, body });
          if (second.status !== 200 || second.headers[VERSION_HEADER] !== version) failures.push(`pinned to ${version}: ${second.status} ${second.body.toString()}`);
          pinnedTo[version] = (pinnedTo[version] ?? 0) + 1;
        }
      } finally {
        unpinned.close();
        pinned.close();
      }
    });
    try {
      for (const next of ['2', '3', '4']) {
        await sleep(300);
        // 4 M weights, inline: each shard in turn takes tens of ms to load its own session
        const onnx = heavyOnnx(2048, 1);
        const manifest = tabularManifest(onnx, { execution: { mode: 'inline' }, lineage: { parent_version: String(Number(next) - 1) } });
        assert.equal(await registerVersion(registry.url, MODEL, onnx, manifest), next);
        await sleep(300);
        // the old version stays at weight 0 (loaded) until it is archived
        const moved = await putTraffic(registry.url, MODEL, { variants: [{ target: String(Number(next) - 1), weight: 0 }, { target: next, weight: 100 }] });
        await untilRevision(gw.gateway, MODEL, moved);
        await sleep(300);
        await untilRevision(gw.gateway, MODEL, await archiveVersion(registry.url, MODEL, String(Number(next) - 1)));
      }
      await sleep(300);
    } finally {
      stop = true;
      await Promise.all(lanes);
    }
    t.diagnostic(`pins by version: ${JSON.stringify(pinnedTo)}`);
    assert.deepEqual(failures, [], 'every pin on the version that had just answered was answered by it');
    for (const version of ['1', '2', '3', '4']) assert.ok((pinnedTo[version] ?? 0) > 0, `pins on v${version} were tried: ${JSON.stringify(pinnedTo)}`);
  });
});
