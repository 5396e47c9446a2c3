/** Reference profiles from a registry's manifests or a repository directory; malformed profiles named; names from records never become paths. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { buildProfile } from '../../monitor/drift/profile.js';
import { ProfileCache } from '../../monitor/profiles/profile-cache.js';
import { parseReferenceProfile, ProfileFormatError } from '../../monitor/profiles/profile-json.js';
import { DirectoryProfileSource, ProfileFetchError, RegistryProfileSource } from '../../monitor/profiles/profile-source.js';
import { createLogger } from '../../runtime/log.js';

const PROFILE = JSON.parse(JSON.stringify(buildProfile({ x: [1, 2, 3, 4, 5], colour: ['red', 'blue', 'red'] })));
const manifest = (version: string, profile: unknown) => ({
  name: 'credit',
  version,
  sha256: 'a'.repeat(64),
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
  ...(profile ? { reference_profile: profile } : {}),
});

describe('reference profiles', () => {
  it('are read from the registry, with its bearer token, and cached per version', async (t) => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      const match = /^\/api\/v1\/models\/credit\/versions\/(\d+)$/.exec(req.url ?? '');
      if (!match) return void res.writeHead(404).end('{"error":"no such version"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ manifest: manifest(match[1]!, match[1] === '1' ? PROFILE : null) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cache = new ProfileCache(new RegistryProfileSource(url, 'read-token'), 60_000, createLogger({ component: 'test' }, 'error'));

    const loaded = await cache.ensure('credit', '1');
    assert.equal(loaded.state, 'loaded');
    assert.deepEqual(Object.keys(loaded.state === 'loaded' ? loaded.profile.features : {}), ['x', 'colour']);
    await cache.ensure('credit', '1');
    assert.equal(seen.length, 1, 'fetched once');
    assert.equal(seen[0], '/api/v1/models/credit/versions/1 Bearer read-token');

    const none = await cache.ensure('credit', '2');
    assert.equal(none.state, 'absent');
    const missing = await cache.ensure('other', '1');
    assert.equal(missing.state, 'unavailable');
    assert.match(missing.state === 'unavailable' ? missing.reason : '', /404/);
    assert.equal(cache.needsFetch('other', '1', Date.now() + 60_001), true, 'asked again after the retry time');
  });

  it('refuse names that are not model names or versions before touching a path', async () => {
    const source = new DirectoryProfileSource('/tmp');
    await assert.rejects(source.fetch('../etc', '1'), ProfileFetchError);
    await assert.rejects(source.fetch('credit', '1/../../x'), ProfileFetchError);
  });

  it('name what is wrong in a malformed profile', () => {
    const broken = (mutate: (p: any) => void): unknown => {
      const p = structuredClone(PROFILE);
      mutate(p);
      return p;
    };
    const refused = (raw: unknown, pattern: RegExp): void => assert.throws(() => parseReferenceProfile(raw, 'm/1'), (e: unknown) => e instanceof ProfileFormatError && pattern.test(e.message));
    refused(broken((p) => (p.format = 'v0')), /format must be/);
    refused(broken((p) => p.features.x.binCounts.pop()), /feature 'x': \d+ edges need \d+ binCounts/);
    refused(broken((p) => (p.features.x.sample = [3, 1])), /sample must be sorted/);
    refused(broken((p) => (p.features.colour.kind = 'ordinal')), /kind must be "numeric" or "categorical"/);
    refused(broken((p) => (p.datasetDriftShare = 0)), /datasetDriftShare/);
  });
});
