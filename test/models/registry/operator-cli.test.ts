/** The operator verbs against a real registry: tables by default, --json for scripts, a clear error on refusal. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aliasCommand } from '../../../cli/operator/alias-command.js';
import { auditCommand } from '../../../cli/operator/audit-command.js';
import { modelsCommand } from '../../../cli/operator/models-command.js';
import { RegistryRefusal, type OperatorIo } from '../../../cli/operator/registry-client.js';
import { trafficCommand } from '../../../cli/operator/traffic-command.js';
import { ADMIN_TOKEN, fakeOnnx, manifestFor, READ_TOKEN, startTestRegistry, type TestRegistry } from './helpers.js';

/** A port nothing listens on (taken from the OS, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type Command = (argv: string[], io?: OperatorIo) => Promise<void>;

describe('operator CLI', () => {
  let reg: TestRegistry;
  let env: NodeJS.ProcessEnv;
  const run = async (command: Command, argv: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> => {
    let out = '';
    await command(argv, { stdout: (t) => void (out += t), env: { ...env, ...extraEnv } });
    return out;
  };

  before(async () => {
    reg = await startTestRegistry();
    env = { SWITCHYARD_REGISTRY: reg.url, SWITCHYARD_TOKEN: ADMIN_TOKEN };
    for (const seed of [1, 2, 3]) {
      const bytes = fakeOnnx(seed);
      const { sha256: _, ...manifest } = manifestFor(bytes);
      await writeFile(join(reg.dataDir, `v${seed}.onnx`), bytes);
      await writeFile(join(reg.dataDir, `v${seed}.json`), JSON.stringify(manifest));
    }
  });
  after(() => reg.stop());

  it('models register fills in the sha256 and says what the registry did', async () => {
    const out = await run(modelsCommand, ['register', 'iris', join(reg.dataDir, 'v1.onnx'), '--manifest', join(reg.dataDir, 'v1.json')]);
    assert.match(out, /^registered iris version 1 \(sha256 [0-9a-f]{12}…, 256 bytes\)\ntraffic: v1=100   aliases: stable→v1\n$/);
    for (const seed of [2, 3]) await run(modelsCommand, ['register', 'iris', join(reg.dataDir, `v${seed}.onnx`), '--manifest', join(reg.dataDir, `v${seed}.json`)]);
  });

  it('alias set / list, traffic set / show', async () => {
    assert.equal(await run(aliasCommand, ['set', 'iris', 'canary', 'v2']), 'iris: alias canary → version 2\n');
    assert.equal(await run(aliasCommand, ['list', 'iris']), 'ALIAS   VERSION\ncanary  2\nstable  1\n');
    const set = await run(trafficCommand, ['set', 'iris', 'stable=90', 'canary=10', '--shadow', 'v3:20']);
    assert.equal(set, 'traffic of iris is stable(v1)=90 canary(v2)=10 | shadow v3:20% (revision 5)\n');
    const show = await run(trafficCommand, ['show', 'iris']);
    assert.match(show, /ROLE\s+TARGET\s+VERSION\s+SHARE\nlive\s+stable\s+v1\s+90\nlive\s+canary\s+v2\s+10\nshadow\s+3\s+v3\s+20% mirrored\n/);
  });

  it('models list / show as tables, and as JSON with --json', async () => {
    const list = await run(modelsCommand, ['list'], { SWITCHYARD_TOKEN: READ_TOKEN });
    assert.match(list, /^MODEL\s+REVISION\s+VERSIONS\s+ALIASES\s+TRAFFIC\niris\s+5\s+3\s+canary→v2 stable→v1\s+stable\(v1\)=90 canary\(v2\)=10 \| shadow v3:20%\n$/);
    const show = await run(modelsCommand, ['show', 'iris']);
    assert.match(show, /VERSION\s+STATUS\s+WEIGHT\s+SHADOW\s+ALIASES\s+SHA256\s+CREATED\n1\s+ready\s+90\s+-\s+stable\s+[0-9a-f]{12}/);
    assert.match(show, /\n3\s+ready\s+-\s+20%\s+-/);
    const json = JSON.parse(await run(modelsCommand, ['show', 'iris', '2', '--json']));
    assert.equal(json.manifest.version, '2');
    assert.deepEqual(json.aliases, ['canary']);
    assert.match(await run(modelsCommand, ['show', 'iris', '1']), /input  features FP32 \[-1, 8\]/);
  });

  it('refusals fail with the registry’s status, code and message', async () => {
    const refused = async (command: Command, argv: string[], pattern: RegExp, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> => {
      await assert.rejects(run(command, argv, extraEnv), (err: Error) => {
        assert.ok(err instanceof RegistryRefusal, err.message);
        assert.match(err.message, pattern);
        return true;
      });
    };
    await refused(trafficCommand, ['set', 'iris', 'v1=90', 'v2=5'], /\(400 SY_ERR_INVALID_POLICY\): traffic policy of model 'iris': weights sum to 95, they must sum to 100/);
    await refused(modelsCommand, ['archive', 'iris', '2'], /\(409 SY_ERR_IN_TRAFFIC\): version 2 of model 'iris' receives traffic \(variant canary=10\)/);
    await refused(aliasCommand, ['set', 'iris', 'blue', '1'], /\(403 SY_ERR_FORBIDDEN\)/, { SWITCHYARD_TOKEN: READ_TOKEN });
    await refused(aliasCommand, ['set', 'iris', 'blue', '1'], /\(401 SY_ERR_UNAUTHENTICATED\).*no token was sent: pass --token or set SWITCHYARD_TOKEN/, { SWITCHYARD_TOKEN: '' });
    await refused(modelsCommand, ['show', 'nope'], /\(404 SY_ERR_MODEL_NOT_FOUND\): no model named 'nope' \(models: iris\)/);
    await assert.rejects(run(trafficCommand, ['set', 'iris', 'v1:100']), /'v1:100' is not TARGET=WEIGHT/);
    const closed = await freePort();
    await assert.rejects(run(modelsCommand, ['list'], { SWITCHYARD_REGISTRY: `http://127.0.0.1:${closed}` }), new RegExp(`cannot reach the registry at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
  });

  it('audit shows who changed what, before → after', async () => {
    const out = await run(auditCommand, ['--model', 'iris']);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /^SEQ\s+TIME\s+ACTOR\s+ACTION\s+MODEL\s+CHANGE$/);
    assert.match(lines[1]!, /^1\s+\S+Z\s+alice\s+register\s+iris\s+\+v1; alias stable \(none\)→v1; traffic \(none\) → v1=100$/);
    assert.match(lines[4]!, /^4\s+.*alias\.set\s+iris\s+alias canary \(none\)→v2$/);
    assert.match(lines[5]!, /^5\s+.*traffic\.set\s+iris\s+traffic v1=100 → stable=90 canary=10 \| shadow v3:20%$/);
    const page = JSON.parse(await run(auditCommand, ['--since', '3', '--limit', '1', '--json']));
    assert.deepEqual(page.records.map((r: any) => r.seq), [4]);
  });
});
