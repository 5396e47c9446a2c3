/** The registry API end to end over real sockets: each change, its refusals, and its audit record before → after. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '../../../models/repository-writer.js';
import { ADMIN_TOKEN, call, diskSnapshot, fakeOnnx, manifestFor, multipartBody, READ_TOKEN, register, startTestRegistry, type TestRegistry } from './helpers.js';

const admin = { token: ADMIN_TOKEN };

describe('registry API', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
  });
  after(() => reg.stop());

  const lastAudit = async (): Promise<any> => {
    const page = (await call(reg.url, 'GET', '/api/v1/audit?limit=1', { token: READ_TOKEN })).body;
    return page.records[0];
  };

  it('registers a first version: number 1, alias stable, all traffic, audited from nothing', async () => {
    const bytes = fakeOnnx(1);
    const reply = await register(reg.url, 'iris', bytes, manifestFor(bytes, { lineage: { data_hash: 'abc' } }));
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.version, '1');
    assert.deepEqual(reply.body.model.aliases, { stable: '1' });
    assert.deepEqual(reply.body.model.traffic, { model: 'iris', revision: 1, variants: [{ target: '1', weight: 100 }], shadow: [], sticky_header: 'x-switchyard-key' });
    const record = await lastAudit();
    assert.equal(record.action, 'register');
    assert.equal(record.version, '1');
    assert.equal(record.before, null);
    assert.deepEqual(record.after.versions, ['1']);
    const version = (await call(reg.url, 'GET', '/api/v1/models/iris/versions/1', admin)).body;
    assert.equal(version.manifest.sha256, sha256Hex(bytes));
    assert.equal(version.manifest.lineage.data_hash, 'abc');
    assert.ok(version.manifest.lineage.created_at, 'registration time filled in');
    const download = await call(reg.url, 'GET', '/api/v1/models/iris/versions/1/model.onnx', admin);
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(download.raw), bytes);
    assert.equal(download.headers['x-switchyard-sha256'], sha256Hex(bytes));
  });

  it('assigns the next number, or takes the one asked for; a taken number is a 409', async () => {
    const two = fakeOnnx(2);
    assert.equal((await register(reg.url, 'iris', two, manifestFor(two))).body.version, '2');
    const five = fakeOnnx(5);
    assert.equal((await register(reg.url, 'iris', five, manifestFor(five, { version: 5 }))).body.version, '5');
    const again = await register(reg.url, 'iris', five, manifestFor(five, { version: '2' }));
    assert.equal(again.status, 409);
    assert.match(again.body.error, /already has a version 2; versions are immutable/);
    const record = await lastAudit();
    assert.deepEqual([record.before.versions, record.after.versions], [['1', '2'], ['1', '2', '5']]);
    assert.deepEqual(record.after.traffic.variants, [{ target: '1', weight: 100 }], 'a later version takes no traffic by itself');
  });

  it('refuses an upload whose sha256 does not match, writing nothing', async () => {
    const disk = await diskSnapshot(reg.dataDir);
    const bytes = fakeOnnx(3);
    const reply = await register(reg.url, 'iris', bytes, manifestFor(fakeOnnx(4)));
    assert.equal(reply.status, 400);
    assert.equal(reply.body.code, 'SY_ERR_SHA256_MISMATCH');
    assert.match(reply.body.error, new RegExp(`hashes to ${sha256Hex(bytes)}.*nothing was written`));
    const truncated = await register(reg.url, 'iris', bytes.subarray(0, 100), manifestFor(bytes));
    assert.equal(truncated.status, 400, 'a truncated upload is caught by the hash');
    assert.deepEqual(await diskSnapshot(reg.dataDir), disk);
    assert.deepEqual(await readdir(join(reg.dataDir, 'models', 'iris')), ['1', '2', '5', 'model.json']);
  });

  it('refuses bad uploads with the rule that was broken', async () => {
    const bytes = fakeOnnx(6);
    const cases: [unknown, RegExp][] = [
      [{ ...manifestFor(bytes), inputs: [] }, /"inputs" must be a non-empty list/],
      [{ ...manifestFor(bytes), name: 'other' }, /manifest "name" is "other" but the URL names model 'iris'/],
      [{ ...manifestFor(bytes), version: '007' }, /"version" "007" is invalid: a version is a positive integer/],
      [{ ...manifestFor(bytes), sha256: undefined }, /"sha256" is required/],
    ];
    for (const [manifest, message] of cases) {
      const reply = await register(reg.url, 'iris', bytes, manifest);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.match(reply.body.error, message);
    }
    const json = await call(reg.url, 'POST', '/api/v1/models/iris/versions', { ...admin, body: { manifest: {} } });
    assert.equal(json.status, 415);
    assert.match(json.body.error, /curl -F manifest=@manifest.json -F model=@model.onnx/);
    const { body, contentType } = multipartBody([{ name: 'manifest', data: JSON.stringify(manifestFor(bytes)) }]);
    const missing = await call(reg.url, 'POST', '/api/v1/models/iris/versions', { ...admin, body, headers: { 'content-type': contentType } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error, /missing part "model"/);
  });

  it('sets, moves and deletes aliases, each audited before → after', async () => {
    let reply = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: 'v2' } });
    assert.equal(reply.status, 200);
    let record = await lastAudit();
    assert.deepEqual([record.action, record.alias, record.before.aliases, record.after.aliases], ['alias.set', 'canary', { stable: '1' }, { stable: '1', canary: '2' }]);
    reply = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: '2' } });
    assert.equal(reply.body.changed, false, 'setting the same target is a no-op');
    assert.equal((await lastAudit()).seq, record.seq, 'and is not audited');
    assert.equal((await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: '9' } })).status, 404);
    const badBody = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { to: '2' } });
    assert.equal(badBody.status, 400);
    assert.match(badBody.body.error, /\{"version": "<version number>"\}/);
    reply = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/old', { ...admin, body: { version: 5 } });
    reply = await call(reg.url, 'DELETE', '/api/v1/models/iris/aliases/old', admin);
    assert.equal(reply.status, 200);
    record = await lastAudit();
    assert.deepEqual([record.action, record.before.aliases.old, record.after.aliases.old], ['alias.delete', '5', undefined]);
    assert.equal((await call(reg.url, 'DELETE', '/api/v1/models/iris/aliases/old', admin)).status, 404);
  });

  it('puts a traffic policy with precise refusals, audited before → after', async () => {
    const put = (body: unknown) => call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { ...admin, body });
    const refusals: [unknown, RegExp][] = [
      [{ variants: [{ target: '1', weight: 90 }, { target: '2', weight: 5 }] }, /weights sum to 95, they must sum to 100 \(1=90, 2=5\)/],
      [{ variants: [{ target: '1', weight: 100.5 }] }, /variants\[0\]\.weight must be an integer from 0 to 100/],
      [{ variants: [{ target: '1', weight: -10 }, { target: '2', weight: 110 }] }, /weight must be an integer from 0 to 100, got -10/],
      [{ variants: [{ target: '7', weight: 100 }] }, /model 'iris' has no version 7 \(versions: 1, 2, 5\)/],
      [{ variants: [{ target: 'blue', weight: 100 }] }, /"blue" is not an alias of model 'iris' \(aliases: stable, canary\)/],
      [{ variants: [{ target: '1', weight: 100 }], shadow: [{ target: 'stable', percent: 10 }] }, /shadow\[0\]\.target "stable" is version 1, which already takes live traffic/],
      [{ variants: [{ target: '1', weight: 100 }], shadow: [{ target: '2', percent: 0 }] }, /shadow\[0\]\.percent must be an integer from 1 to 100/],
      [{ variants: [{ target: '1', weight: 100 }], mirror: [] }, /unknown field "mirror"/],
      [{ variants: [] }, /"variants" must be a non-empty list/],
      [{ variants: [{ target: '../1', weight: 100 }] }, /neither a version number nor a valid alias/],
    ];
    for (const [body, message] of refusals) {
      const reply = await put(body);
      assert.equal(reply.status, 400, JSON.stringify(body));
      assert.equal(reply.body.code, 'SY_ERR_INVALID_POLICY');
      assert.match(reply.body.error, message);
    }
    const reply = await put({ variants: [{ target: 'stable', weight: 90 }, { target: 'canary', weight: 10 }], shadow: [{ target: 'v5', percent: 20 }], sticky_header: 'X-User' });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.traffic.shadow, [{ target: '5', percent: 20 }]);
    assert.equal(reply.body.traffic.sticky_header, 'x-user');
    const record = await lastAudit();
    assert.equal(record.action, 'traffic.set');
    assert.deepEqual(record.before.traffic.variants, [{ target: '1', weight: 100 }]);
    assert.deepEqual(record.after.traffic.variants, [{ target: 'stable', weight: 90 }, { target: 'canary', weight: 10 }]);
    const stale = await put({ revision: record.before.revision, variants: [{ target: '1', weight: 100 }] });
    assert.equal(stale.status, 409);
    assert.match(stale.body.error, /based on revision \d+ but model 'iris' is at revision \d+/);
    assert.deepEqual((await call(reg.url, 'GET', '/api/v1/models/iris/traffic', admin)).body, reply.body.traffic);
  });

  it('refuses to delete an alias the policy uses, or to point it where the policy breaks', async () => {
    const del = await call(reg.url, 'DELETE', '/api/v1/models/iris/aliases/canary', admin);
    assert.equal(del.status, 409);
    assert.match(del.body.error, /alias "canary" is used by the traffic policy of 'iris' \(variant canary=10\)/);
    const move = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: '5' } });
    assert.equal(move.status, 409, 'v5 is a shadow: it cannot also take canary traffic');
    assert.match(move.body.error, /would break the traffic policy.*already takes live traffic/);
  });

  it('refuses to archive a version in traffic (409), archives it once traffic moved', async () => {
    for (const [version, via] of [['2', /variant canary=10/], ['5', /shadow 5:20%/], ['1', /variant stable=90/]] as const) {
      const reply = await call(reg.url, 'POST', `/api/v1/models/iris/versions/${version}/archive`, admin);
      assert.equal(reply.status, 409, version);
      assert.equal(reply.body.code, 'SY_ERR_IN_TRAFFIC');
      assert.match(reply.body.error, via);
    }
    await call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { ...admin, body: { variants: [{ target: 'stable', weight: 100 }, { target: 'canary', weight: 0 }] } });
    const reply = await call(reg.url, 'POST', '/api/v1/models/iris/versions/2/archive', admin);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const record = await lastAudit();
    assert.equal(record.action, 'archive');
    assert.deepEqual([record.before.archived, record.after.archived], [[], ['2']]);
    assert.equal(record.after.aliases.canary, undefined, 'an alias naming the archived version is dropped');
    assert.deepEqual(record.after.traffic.variants, [{ target: 'stable', weight: 100 }], 'a zero-weight entry naming it is dropped');
    assert.deepEqual(await readdir(join(reg.dataDir, 'archive', 'iris')), ['2'], 'moved out of what a gateway serves');
    const v2 = (await call(reg.url, 'GET', '/api/v1/models/iris/versions/2', admin)).body;
    assert.equal(v2.status, 'archived');
    const alias = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: '2' } });
    assert.equal(alias.status, 409);
    assert.match(alias.body.error, /archived/);
    const again = await register(reg.url, 'iris', fakeOnnx(8), manifestFor(fakeOnnx(8)));
    assert.equal(again.body.version, '6', 'numbers are never reused');
  });

  it('pages the audit log by seq and filters by model', async () => {
    const all = (await call(reg.url, 'GET', '/api/v1/audit?since=0&limit=1000', admin)).body.records;
    assert.deepEqual(all.map((r: any) => r.seq), all.map((_: unknown, i: number) => i + 1), 'seqs are gap-free from 1');
    const page = (await call(reg.url, 'GET', '/api/v1/audit?since=2&limit=3', admin)).body;
    assert.deepEqual(page.records.map((r: any) => r.seq), [3, 4, 5]);
    assert.equal(page.next_since, 5);
    assert.equal((await call(reg.url, 'GET', '/api/v1/audit?model=other', admin)).body.records.length, 0);
    const bad = await call(reg.url, 'GET', '/api/v1/audit?limit=0', admin);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /"limit" must be an integer from 1 to 1000/);
  });

  it('answers unknown routes with 404 and wrong methods with 405 + Allow', async () => {
    const missing = await call(reg.url, 'GET', '/api/v1/nothing', admin);
    assert.equal(missing.status, 404);
    const wrong = await call(reg.url, 'DELETE', '/api/v1/models/iris/traffic', admin);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, PUT');
  });

  it('refuses bodies over the limit with 413', async () => {
    const small = await startTestRegistry({ maxUploadBytes: 4096 });
    try {
      const bytes = fakeOnnx(1, 8192);
      const reply = await register(small.url, 'iris', bytes, manifestFor(bytes));
      assert.equal(reply.status, 413);
      assert.match(reply.body.error, /exceeds the limit of 4096 bytes/);
    } finally {
      await small.stop();
    }
  });
});
