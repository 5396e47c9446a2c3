/**
 * Acceptance 6: SIGKILL a registry process at seeded random moments while it
 * registers versions and rewrites the traffic policy; every restart must load
 * cleanly (no refused version, no leftover), hold every acknowledged write,
 * and audit every acknowledged change under its seq. The last run ends with
 * SIGTERM, which must exit 0.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readRepository } from '../../../gateway/model-repository.js';
import { mulberry32 } from '../../../models/examples.js';
import { sha256Hex } from '../../../models/repository-writer.js';
import { ADMIN_TOKEN, call, manifestFor, register } from './helpers.js';
import { startRegistryProcess } from '../../helpers/registry-process.js';

const SEED = Number(process.env.SWITCHYARD_CRASH_SEED ?? 6021);
const ROUNDS = Number(process.env.SWITCHYARD_CRASH_ROUNDS ?? 10);
const MODEL = 'crash';

interface Acked {
  versions: Map<string, string>; // version → sha256
  seqs: Map<number, string>; // seq → action
  traffic: { body: { variants: { target: string; weight: number }[]; sticky_header: string }; acked: boolean }[];
  sent: Set<string>; // every sha256 ever uploaded
}


function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Checks the restarted registry; returns how many unacknowledged writes it found committed (killed after commit, before the reply). */
async function verify(url: string, dataDir: string, acked: Acked, round: number): Promise<number> {
  const at = `after kill ${round}`;
  const listing = (await call(url, 'GET', '/api/v1/models', { token: ADMIN_TOKEN })).body;
  assert.deepEqual(listing.problems, [], at);
  if (acked.versions.size === 0 && listing.models.length === 0) return 0;
  let unacknowledged = 0;
  const model = listing.models.find((m: any) => m.name === MODEL);
  assert.ok(model, `${at}: model missing`);
  assert.equal(model.problem, undefined, at);
  for (const v of model.versions) {
    assert.equal(v.status, 'ready', `${at}: version ${v.version} ${v.reason}`);
    assert.ok(acked.sent.has(v.sha256), `${at}: version ${v.version} holds bytes nobody uploaded`);
    if (!acked.versions.has(v.version)) {
      unacknowledged++;
      acked.versions.set(v.version, v.sha256); // committed: from now on it must stay
    }
  }
  for (const [version, sha] of acked.versions) {
    const found = model.versions.find((v: any) => v.version === version);
    assert.equal(found?.sha256, sha, `${at}: acknowledged version ${version} lost`);
  }
  const lastAck = acked.traffic.map((t) => t.acked).lastIndexOf(true);
  if (lastAck >= 0) {
    const allowed = acked.traffic.slice(lastAck).map((t) => JSON.stringify([t.body.variants, t.body.sticky_header]));
    const index = allowed.indexOf(JSON.stringify([model.traffic.variants, model.traffic.sticky_header]));
    assert.ok(index >= 0, `${at}: traffic ${JSON.stringify(model.traffic)} is neither the last acknowledged policy nor a later attempt`);
    if (index > 0) {
      unacknowledged++;
      acked.traffic[lastAck + index]!.acked = true; // committed: from now on it is the baseline
    }
  }
  const audit = (await call(url, 'GET', '/api/v1/audit?since=0&limit=1000', { token: ADMIN_TOKEN })).body.records;
  assert.deepEqual(audit.map((r: any) => r.seq), audit.map((_: unknown, i: number) => i + 1), `${at}: audit seqs are gap-free`);
  for (const [seq, action] of acked.seqs) assert.equal(audit[seq - 1]?.action, action, `${at}: acknowledged change #${seq} not audited`);
  assert.equal(audit.length, listing.seq, `${at}: every committed change is audited`);
  const leftovers = (await readdir(join(dataDir, 'models', MODEL))).filter((f) => f.startsWith('.'));
  assert.deepEqual(leftovers, [], `${at}: unfinished writes cleaned up`);
  const gatewayView = await readRepository(join(dataDir, 'models'));
  assert.deepEqual(gatewayView.refused, [], `${at}: the gateway refuses nothing either`);
  return unacknowledged;
}

describe('registry crash safety', () => {
  it(`survives ${ROUNDS} SIGKILLs in a loop of writes (seed ${SEED})`, async (t) => {
    const random = mulberry32(SEED);
    const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-crash-'));
    const acked: Acked = { versions: new Map(), seqs: new Map(), traffic: [], sent: new Set() };
    let writes = 0;
    let committedUnacknowledged = 0;
    let interrupted = 0;
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const { child, url } = await startRegistryProcess(['--data-dir', dataDir], `crasher:${ADMIN_TOKEN}`);
        committedUnacknowledged += await verify(url, dataDir, acked, round);
        if (round === ROUNDS) {
          child.kill('SIGTERM');
          assert.equal(await exited(child), 0, 'SIGTERM closes gracefully and exits 0');
          break;
        }
        let alive = true;
        const registering = (async () => {
          while (alive) {
            const bytes = Uint8Array.from({ length: 16_384 + Math.floor(random() * 400_000) }, (_, i) => (i * 31 + round * 7 + writes) & 0xff);
            const sha = sha256Hex(bytes);
            acked.sent.add(sha);
            const reply = await register(url, MODEL, bytes, manifestFor(bytes)).catch(() => undefined);
            if (!reply) return;
            assert.equal(reply.status, 201, JSON.stringify(reply.body));
            acked.versions.set(reply.body.version, sha);
            acked.seqs.set(reply.body.seq, 'register');
            writes++;
          }
        })();
        const shifting = (async () => {
          while (alive) {
            const versions = [...acked.versions.keys()];
            if (versions.length === 0) {
              await new Promise((r) => setTimeout(r, 2));
              continue;
            }
            const a = versions[Math.floor(random() * versions.length)]!;
            const b = versions[Math.floor(random() * versions.length)]!;
            const w = Math.floor(random() * 101);
            const variants = a === b ? [{ target: a, weight: 100 }] : [{ target: a, weight: w }, { target: b, weight: 100 - w }];
            const body = { variants, sticky_header: `x-key-${writes}` };
            const entry = { body, acked: false };
            acked.traffic.push(entry);
            const reply = await call(url, 'PUT', `/api/v1/models/${MODEL}/traffic`, { token: ADMIN_TOKEN, body }).catch(() => undefined);
            if (!reply) return;
            assert.equal(reply.status, 200, JSON.stringify(reply.body));
            entry.acked = true;
            if (reply.body.changed) acked.seqs.set(reply.body.seq, 'traffic.set');
            writes++;
          }
        })();
        await new Promise((r) => setTimeout(r, 20 + Math.floor(random() * 180)));
        child.kill('SIGKILL');
        await exited(child);
        alive = false;
        await Promise.all([registering, shifting]);
        const modelDir = join(dataDir, 'models', MODEL);
        const entries = await readdir(modelDir).catch(() => [] as string[]);
        if (entries.some((e) => e.startsWith('.'))) interrupted++; // a staging dir or temp file: killed mid-write
      }
      assert.ok(writes >= ROUNDS, `the loop acknowledged ${writes} writes across ${ROUNDS} kills`);
      t.diagnostic(`${writes} acknowledged writes, ${committedUnacknowledged} more committed but killed before the reply, ${interrupted} of ${ROUNDS} kills left a half-written file behind`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
