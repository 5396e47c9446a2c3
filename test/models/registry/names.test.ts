/** Acceptance 7: path traversal and invalid model names, versions and aliases are 400s naming the rule; nothing reaches the disk. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, call, diskSnapshot, fakeOnnx, manifestFor, register, seedVersions, startTestRegistry, type TestRegistry } from './helpers.js';

const MODEL_RULE = /a model name is 1-128 characters of letters, digits/;
const VERSION_RULE = /a version is a positive integer without leading zeros/;
const ALIAS_RULE = /an alias is 1-64 characters|an alias must not look like a version/;
const TRAVERSAL = /not allowed: names never contain "\." or "\.\." path steps/;
const SEPARATOR = /decodes to a name with "\/", "\\" or NUL/;

describe('registry names and paths', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
    await seedVersions(reg.url, 'iris', 1);
  });
  after(() => reg.stop());

  const cases: [string, string, RegExp][] = [
    ['GET', '/api/v1/models/..', TRAVERSAL],
    ['GET', '/api/v1/models/../versions', TRAVERSAL],
    ['GET', '/api/v1/models/iris/versions/../../../etc/passwd', TRAVERSAL],
    ['GET', '/api/v1/models/%2e%2e/versions', TRAVERSAL],
    ['GET', '/api/v1/models/%2E%2E', TRAVERSAL],
    ['GET', '/api/v1/models/iris/versions/.', TRAVERSAL],
    ['GET', '/api/v1/models/..%2f..%2fetc', SEPARATOR],
    ['GET', '/api/v1/models/a%2Fb', SEPARATOR],
    ['GET', '/api/v1/models/a%5Cb', SEPARATOR],
    ['GET', '/api/v1/models/a%00b', SEPARATOR],
    ['GET', '/api/v1/models/%zz', /not valid percent-encoding/],
    ['GET', '/api/v1/models//versions', MODEL_RULE],
    ['GET', '/api/v1/models/', MODEL_RULE],
    ['GET', '/api/v1/models/.hidden', MODEL_RULE],
    ['GET', '/api/v1/models/a..b', MODEL_RULE],
    ['GET', '/api/v1/models/a%20b', MODEL_RULE],
    ['GET', '/api/v1/models/caf%C3%A9', MODEL_RULE],
    ['GET', '/api/v1/models/a$b', MODEL_RULE],
    ['GET', `/api/v1/models/${'m'.repeat(129)}`, MODEL_RULE],
    ['GET', '/api/v1/models/iris/versions/0', VERSION_RULE],
    ['GET', '/api/v1/models/iris/versions/01', VERSION_RULE],
    ['GET', '/api/v1/models/iris/versions/1.5', VERSION_RULE],
    ['GET', '/api/v1/models/iris/versions/-1', VERSION_RULE],
    ['GET', '/api/v1/models/iris/versions/v1/model.onnx', VERSION_RULE],
    ['GET', '/api/v1/models/iris/versions/', VERSION_RULE],
    ['PUT', '/api/v1/models/iris/aliases/v3', ALIAS_RULE],
    ['PUT', '/api/v1/models/iris/aliases/3', ALIAS_RULE],
    ['PUT', '/api/v1/models/iris/aliases/a.b', ALIAS_RULE],
    ['DELETE', '/api/v1/models/iris/aliases/%2e%2e', TRAVERSAL],
    ['PUT', '/api/v1/models/..%2F..%2Ftmp/traffic', SEPARATOR],
    ['POST', '/api/v1/models/iris/versions/%2e%2e/archive', TRAVERSAL],
  ];

  for (const [method, path, rule] of cases) {
    it(`${method} ${path.length > 60 ? `${path.slice(0, 60)}…` : path} → 400`, async () => {
      const reply = await call(reg.url, method, path, { token: ADMIN_TOKEN, ...(method === 'PUT' ? { body: { version: '1' } } : {}) });
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.code, 'SY_ERR_INVALID_NAME');
      assert.match(reply.body.error, rule);
    });
  }

  it('registering under a traversal or invalid name writes nothing', async () => {
    const disk = await diskSnapshot(reg.dataDir);
    const bytes = fakeOnnx(3);
    for (const name of ['..', '%2e%2e', '..%2Fescape', 'a%2Fb', '.git', 'x%00y']) {
      const reply = await register(reg.url, name, bytes, manifestFor(bytes));
      assert.equal(reply.status, 400, `${name}: ${JSON.stringify(reply.body)}`);
    }
    assert.deepEqual(await diskSnapshot(reg.dataDir), disk);
  });
});
