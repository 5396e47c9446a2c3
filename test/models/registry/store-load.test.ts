/**
 * Loading a registry root: corrupt or half-written versions are refused with a
 * clear reason (never served), leftovers of interrupted writes are cleaned up
 * or finished, and directories written by other tools are adopted.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rename, writeFile, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readRepository } from '../../../gateway/model-repository.js';
import { writeModelVersion } from '../../../models/repository-writer.js';
import { tabularExample } from '../../../models/examples.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { postJson } from '../../helpers/http-client.js';
import { ADMIN_TOKEN, call, fakeOnnx, manifestFor, register, seedVersions, startTestRegistry } from './helpers.js';

const admin = { token: ADMIN_TOKEN };

describe('registry load', () => {
  it('refuses a version whose model file no longer matches its sha256, and keeps serving the rest', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 2);
      const file = join(reg.dataDir, 'models', 'iris', '2', 'model.onnx');
      const bytes = await readFile(file);
      bytes[10] = bytes[10]! ^ 0xff;
      await writeFile(file, bytes);
      reg = await reg.restart();
      const model = (await call(reg.url, 'GET', '/api/v1/models/iris', admin)).body;
      assert.deepEqual(model.versions.map((v: any) => [v.version, v.status]), [['1', 'ready'], ['2', 'refused']]);
      assert.match(model.versions[1].reason, /iris\/2\/model\.onnx: sha256 is [0-9a-f]{64} but the manifest expects [0-9a-f]{64}; the file is corrupt or was replaced, refusing to serve it/);
      const put = await call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { ...admin, body: { variants: [{ target: '2', weight: 100 }] } });
      assert.equal(put.status, 400);
      assert.match(put.body.error, /version 2 was refused when the registry loaded it/);
      const download = await call(reg.url, 'GET', '/api/v1/models/iris/versions/2/model.onnx', admin);
      assert.equal(download.status, 409);
      assert.match(download.body.error, /was refused: .*sha256 is/);
      const gatewayView = await readRepository(join(reg.dataDir, 'models'));
      assert.deepEqual(gatewayView.refused.map((r) => r.version), ['2'], 'the gateway refuses it too');
    } finally {
      await reg.stop();
    }
  });

  it('refuses a version directory without a manifest, and removes unfinished staging directories and temp files', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 1);
      const modelDir = join(reg.dataDir, 'models', 'iris');
      await mkdir(join(modelDir, '2'));
      await writeFile(join(modelDir, '2', 'model.onnx'), fakeOnnx(2));
      await mkdir(join(modelDir, '.staging-3-abcd', 'iris', '3'), { recursive: true });
      await writeFile(join(modelDir, '.model.json.123.abc.tmp'), '{"half');
      reg = await reg.restart();
      const v2 = (await call(reg.url, 'GET', '/api/v1/models/iris/versions/2', admin)).body;
      assert.equal(v2.status, 'refused');
      assert.match(v2.reason, /iris\/2: no manifest or model file/);
      assert.deepEqual((await readdir(modelDir)).sort(), ['1', '2', 'model.json']);
    } finally {
      await reg.stop();
    }
  });

  it('re-appends the audit record of a change whose audit line was lost, and cuts a torn line', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 2);
      await call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { ...admin, body: { variants: [{ target: '1', weight: 50 }, { target: '2', weight: 50 }] } });
      await reg.service.close();
      const auditPath = join(reg.dataDir, 'audit.log');
      const lines = (await readFile(auditPath, 'utf8')).split('\n').filter(Boolean);
      assert.equal(lines.length, 3);
      await truncate(auditPath, Buffer.byteLength(lines.slice(0, 2).join('\n') + '\n'));
      await appendFile(auditPath, '{"seq":3,"time":"2030-01-01T00:00:00Z","act');
      reg = await reg.restart();
      const records = (await call(reg.url, 'GET', '/api/v1/audit?since=0', admin)).body.records;
      assert.deepEqual(records.map((r: any) => [r.seq, r.action]), [[1, 'register'], [2, 'register'], [3, 'traffic.set']]);
      assert.deepEqual(records[2].after.traffic.variants, [{ target: '1', weight: 50 }, { target: '2', weight: 50 }]);
      const next = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/canary', { ...admin, body: { version: '2' } });
      assert.equal(next.body.seq, 4, 'seqs continue after the recovered record');
    } finally {
      await reg.stop();
    }
  });

  it('finishes an archive interrupted between its commit and the directory move', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 2);
      assert.equal((await call(reg.url, 'POST', '/api/v1/models/iris/versions/2/archive', admin)).status, 200);
      await reg.service.close();
      await rename(join(reg.dataDir, 'archive', 'iris', '2'), join(reg.dataDir, 'models', 'iris', '2'));
      reg = await reg.restart();
      assert.equal((await call(reg.url, 'GET', '/api/v1/models/iris/versions/2', admin)).body.status, 'archived');
      assert.deepEqual(await readdir(join(reg.dataDir, 'archive', 'iris')), ['2']);
      assert.deepEqual((await readRepository(join(reg.dataDir, 'models'))).loaded.map((l) => l.manifest.version), ['1']);
    } finally {
      await reg.stop();
    }
  });

  it('adopts versions found on disk (a crash after the commit rename, or a repository written by other tools)', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 1);
      await reg.service.close();
      const models = join(reg.dataDir, 'models');
      const fields = { inputs: manifestFor(fakeOnnx(1)).inputs, outputs: manifestFor(fakeOnnx(1)).outputs } as any;
      await writeModelVersion(models, { name: 'iris', version: '2', ...fields }, fakeOnnx(2));
      await writeModelVersion(models, { name: 'wine', version: '3', ...fields }, fakeOnnx(3));
      reg = await reg.restart();
      const iris = (await call(reg.url, 'GET', '/api/v1/models/iris', admin)).body;
      assert.deepEqual(iris.versions.map((v: any) => v.version), ['1', '2']);
      assert.deepEqual(iris.traffic.variants, [{ target: '1', weight: 100 }], 'an adopted version takes no traffic');
      const wine = (await call(reg.url, 'GET', '/api/v1/models/wine', admin)).body;
      assert.deepEqual([wine.aliases, wine.traffic.variants], [{ stable: '3' }, [{ target: '3', weight: 100 }]]);
      const records = (await call(reg.url, 'GET', '/api/v1/audit', admin)).body.records.filter((r: any) => r.action === 'recover');
      assert.deepEqual(records.map((r: any) => [r.model, r.actor, r.note]), [
        ['iris', 'registry', 'adopted version 2 found on disk'],
        ['wine', 'registry', 'adopted version 3 found on disk; default policy: version 3 at 100, alias stable'],
      ]);
    } finally {
      await reg.stop();
    }
  });

  it('lists a model whose model.json is unreadable, refuses changes to it, and serves the others', async () => {
    let reg = await startTestRegistry();
    try {
      await seedVersions(reg.url, 'iris', 1);
      await seedVersions(reg.url, 'wine', 1);
      await reg.service.close();
      await writeFile(join(reg.dataDir, 'models', 'iris', 'model.json'), '{"format": 1, "model": "iris", "revision": "two"}');
      reg = await reg.restart();
      const iris = (await call(reg.url, 'GET', '/api/v1/models/iris', admin)).body;
      assert.match(iris.problem, /model\.json: "revision" must be an integer >= 1; fix or remove the file/);
      const put = await call(reg.url, 'PUT', '/api/v1/models/iris/aliases/x', { ...admin, body: { version: '1' } });
      assert.equal(put.status, 409);
      assert.equal(put.body.code, 'SY_ERR_MODEL_STATE_BROKEN');
      assert.equal((await call(reg.url, 'PUT', '/api/v1/models/wine/aliases/x', { ...admin, body: { version: '1' } })).status, 200);
    } finally {
      await reg.stop();
    }
  });

  it('writes a layout the gateway serves directly', async () => {
    const reg = await startTestRegistry();
    try {
      const example = tabularExample();
      const reply = await register(reg.url, 'tabular', example.onnx, manifestFor(example.onnx, { inputs: example.fields.inputs, outputs: example.fields.outputs }));
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      const gateway = await startTestGateway({}, join(reg.dataDir, 'models'));
      try {
        const infer = await postJson(`${gateway.http}/v2/models/tabular/versions/1/infer`, { inputs: [{ name: 'features', shape: [1, 8], datatype: 'FP32', data: [45.9, -0.45, 3.46, -15.47, 1093.28, 0.58, 7.46, 3.83] }] });
        assert.equal(infer.status, 200, JSON.stringify(infer.body));
        assert.equal(infer.body.outputs[0].shape.join(','), '1,2');
      } finally {
        await gateway.stop();
      }
    } finally {
      await reg.stop();
    }
  });
});
