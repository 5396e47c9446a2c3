/**
 * Acceptance 5: a change without a token, with an unknown token or with a
 * read-only token is refused (401/401/403) and changes nothing (disk and
 * audit log byte-identical); the same change with an admin token goes through
 * and is audited under the token's name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, call, diskSnapshot, fakeOnnx, manifestFor, READ_TOKEN, register, seedVersions, startTestRegistry, type Reply, type TestRegistry } from './helpers.js';

type Mutation = { name: string; run: (token: string | null) => Promise<Reply>; ok: number };

describe('registry auth', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
    await seedVersions(reg.url, 'iris', 3);
    await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { token: ADMIN_TOKEN, body: { version: '2' } });
  });
  after(() => reg.stop());

  const withToken = (token: string | null): { token?: string } => (token === null ? {} : { token });
  const mutations: Mutation[] = [
    { name: 'register', ok: 201, run: (t) => register(reg.url, 'iris', fakeOnnx(99), manifestFor(fakeOnnx(99)), t) },
    { name: 'set alias', ok: 200, run: (t) => call(reg.url, 'PUT', '/api/v1/models/iris/aliases/blue', { ...withToken(t), body: { version: '3' } }) },
    { name: 'delete alias', ok: 200, run: (t) => call(reg.url, 'DELETE', '/api/v1/models/iris/aliases/canary', withToken(t)) },
    { name: 'put traffic', ok: 200, run: (t) => call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { ...withToken(t), body: { variants: [{ target: '1', weight: 80 }, { target: '3', weight: 20 }] } }) },
    { name: 'archive', ok: 200, run: (t) => call(reg.url, 'POST', '/api/v1/models/iris/versions/2/archive', withToken(t)) },
  ];
  const refused: [string, string | null, number, RegExp][] = [
    ['no token', null, 401, /changes need an admin bearer token/],
    ['unknown token', 'not-a-token-of-this-registry', 401, /not known to this registry/],
    ['read-only token', READ_TOKEN, 403, /token of "reader" is read-only/],
  ];

  for (const m of mutations) {
    it(`${m.name}: refused without an admin token, nothing changes; accepted and audited with one`, async () => {
      for (const [label, token, status, message] of refused) {
        const disk = await diskSnapshot(reg.dataDir);
        const state = (await call(reg.url, 'GET', '/api/v1/models', { token: ADMIN_TOKEN })).body;
        const reply = await m.run(token);
        assert.equal(reply.status, status, `${label}: ${JSON.stringify(reply.body)}`);
        assert.match(reply.body.error, message, label);
        assert.equal(reply.body.code, status === 401 ? 'SY_ERR_UNAUTHENTICATED' : 'SY_ERR_FORBIDDEN');
        if (status === 401) assert.match(String(reply.headers['www-authenticate']), /^Bearer /);
        assert.deepEqual(await diskSnapshot(reg.dataDir), disk, `${label}: files on disk changed`);
        assert.deepEqual((await call(reg.url, 'GET', '/api/v1/models', { token: ADMIN_TOKEN })).body, state, `${label}: state changed`);
      }
      const seqBefore = (await call(reg.url, 'GET', '/healthz')).body.seq;
      const reply = await m.run(ADMIN_TOKEN);
      assert.equal(reply.status, m.ok, JSON.stringify(reply.body));
      const audit = (await call(reg.url, 'GET', `/api/v1/audit?since=${seqBefore}`, { token: READ_TOKEN })).body;
      assert.equal(audit.records.length, 1);
      assert.equal(audit.records[0].actor, 'alice');
      assert.equal(audit.records[0].seq, seqBefore + 1);
    });
  }

  it('a malformed Authorization header is a 401 that says what is expected', async () => {
    const reply = await call(reg.url, 'GET', '/api/v1/models', { headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    assert.equal(reply.status, 401);
    assert.match(reply.body.error, /must be "Bearer <token>"/);
  });

  it('reads need a read or admin token once tokens are configured', async () => {
    assert.equal((await call(reg.url, 'GET', '/api/v1/models')).status, 401);
    assert.equal((await call(reg.url, 'GET', '/api/v1/models', { token: 'wrong-token-cccccccccccccccc' })).status, 401);
    assert.equal((await call(reg.url, 'GET', '/api/v1/models', { token: READ_TOKEN })).status, 200);
    assert.equal((await call(reg.url, 'GET', '/api/v1/models/iris', { token: ADMIN_TOKEN })).status, 200);
    assert.equal((await call(reg.url, 'GET', '/api/v1/audit', { token: READ_TOKEN })).status, 200);
    assert.equal((await call(reg.url, 'GET', '/healthz')).status, 200, 'health needs no token');
    assert.equal((await call(reg.url, 'GET', '/metrics')).status, 200, 'Prometheus scrapes need no token');
  });

  it('with --anonymous-reads, reads need no token but changes still do', async () => {
    const open = await startTestRegistry({ tokens: { admin: [{ actor: 'alice', token: ADMIN_TOKEN }], read: [], anonymousReads: true } });
    try {
      assert.equal((await call(open.url, 'GET', '/api/v1/models')).status, 200);
      assert.equal((await register(open.url, 'iris', fakeOnnx(1), manifestFor(fakeOnnx(1)), null)).status, 401);
    } finally {
      await open.stop();
    }
  });

  it('without admin tokens every change is refused, saying why', async () => {
    const bare = await startTestRegistry({ tokens: { admin: [], read: [], anonymousReads: false } });
    try {
      const reply = await register(bare.url, 'iris', fakeOnnx(1), manifestFor(fakeOnnx(1)), null);
      assert.equal(reply.status, 401);
      assert.match(reply.body.error, /no admin tokens configured \(SWITCHYARD_ADMIN_TOKENS\)/);
      assert.equal((await call(bare.url, 'GET', '/api/v1/models')).status, 200, 'with no token configured at all, reads are open');
    } finally {
      await bare.stop();
    }
  });
});
