/** The CPUs a shard count defaults to: the affinity, capped by a cgroup v2 or v1 CPU quota. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { availableCpus, cgroupQuota } from '../../runtime/available-cpus.js';

const roots: string[] = [];
async function cgroup(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'switchyard-cgroup-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

describe('available CPUs', () => {
  it('reads a cgroup v2 quota, rounding a fraction up', async () => {
    assert.equal(cgroupQuota(await cgroup({ 'cpu.max': '150000 100000\n' })), 1.5);
    assert.equal(availableCpus(await cgroup({ 'cpu.max': '150000 100000\n' })), Math.min(2, availableParallelism()));
    assert.equal(cgroupQuota(await cgroup({ 'cpu.max': 'max 100000\n' })), undefined);
  });

  it('reads a cgroup v1 quota; -1 is none', async () => {
    assert.equal(cgroupQuota(await cgroup({ 'cpu/cpu.cfs_quota_us': '100000\n', 'cpu/cpu.cfs_period_us': '100000\n' })), 1);
    assert.equal(cgroupQuota(await cgroup({ 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' })), undefined);
  });

  it('without a quota, or without a cgroup, is the affinity', async () => {
    assert.equal(availableCpus(await cgroup({})), availableParallelism());
    assert.equal(availableCpus('/nonexistent'), availableParallelism());
    assert.equal(availableCpus(await cgroup({ 'cpu.max': '100000000 100000\n' })), availableParallelism(), 'a quota above the affinity does not raise it');
  });
});
