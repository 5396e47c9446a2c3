/**
 * The CPUs this process may use: the scheduler's affinity
 * (os.availableParallelism) capped by a cgroup CPU quota — a container limited
 * to 2 CPUs on a 64-core node has 2, not 64. cgroup v2 (`cpu.max`: "quota
 * period" or "max"), then v1 (`cpu.cfs_quota_us`, -1 for none).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export function availableCpus(root = '/sys/fs/cgroup'): number {
  const quota = cgroupQuota(root);
  return Math.max(1, Math.min(availableParallelism(), quota === undefined ? Infinity : Math.ceil(quota)));
}

/** The quota in CPUs, or undefined when there is none (or no cgroup to read). */
export function cgroupQuota(root: string): number | undefined {
  const v2 = read(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    return quota === 'max' ? undefined : ratio(quota, period);
  }
  const quota = read(`${root}/cpu/cpu.cfs_quota_us`);
  return quota === undefined || Number(quota) < 0 ? undefined : ratio(quota, read(`${root}/cpu/cpu.cfs_period_us`));
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
