/**
 * Picks the version that answers a request: a pinned version first, then a
 * sticky key, then a weighted random draw. Sticky keys map onto the variants'
 * cumulative weight ranges, laid out by ascending version whatever order or
 * aliases the policy used: a key keeps its variant while the weights are
 * unchanged, and moving weight between neighbouring versions (stable → canary)
 * moves only keys between those two. (With three or more variants, moving
 * weight between versions that are not neighbours also moves the keys of the
 * ones between them: no history-free scheme can avoid that.)
 */
import type { Role } from '../inference/types.js';
import { stickyHash } from './sticky-hash.js';

export interface RouteVariant {
  version: string;
  /** 0-100 */
  weight: number;
  role: Role;
}

export interface RouteShadow {
  version: string;
  /** 1-100: share of primary requests mirrored. */
  percent: number;
}

export interface ResolvedPolicy {
  revision: number;
  variants: RouteVariant[];
  shadows: RouteShadow[];
  stickyHeader: string;
}

const RANGE = 2 ** 32;

export class TrafficRouter {
  readonly policy: ResolvedPolicy;
  /** Upper bounds of each variant's range in [0, 2^32), weight-0 variants included (empty ranges). */
  private readonly bounds: number[];

  constructor(policy: ResolvedPolicy) {
    this.policy = { ...policy, variants: byVersion(policy.variants) };
    const total = this.policy.variants.reduce((n, v) => n + v.weight, 0);
    let acc = 0;
    this.bounds = this.policy.variants.map((v) => {
      acc += v.weight;
      return total === 0 ? 0 : Math.round((acc / total) * RANGE);
    });
  }

  /** The variant for a sticky key, or a weighted random one without a key. */
  pick(stickyKey: string | undefined): RouteVariant {
    const point = stickyKey ? stickyHash(stickyKey) : Math.floor(Math.random() * RANGE);
    const { variants } = this.policy;
    for (let i = 0; i < variants.length; i++) if (point < this.bounds[i]!) return variants[i]!;
    return variants[variants.length - 1]!;
  }

  /** Shadow versions this request is mirrored to (each drawn at its percentage). */
  shadowsFor(): string[] {
    const out: string[] = [];
    for (const s of this.policy.shadows) if (Math.random() * 100 < s.percent) out.push(s.version);
    return out;
  }

  /** Versions the policy needs loaded. */
  versions(): Set<string> {
    return new Set([...this.policy.variants.map((v) => v.version), ...this.policy.shadows.map((s) => s.version)]);
  }
}

/** One entry per version (weights of entries naming the same version added), ascending. */
function byVersion(variants: readonly RouteVariant[]): RouteVariant[] {
  const merged = new Map<string, RouteVariant>();
  for (const v of variants) {
    const seen = merged.get(v.version);
    merged.set(v.version, seen ? { ...seen, weight: seen.weight + v.weight } : { ...v });
  }
  return [...merged.values()].sort((a, b) => Number(a.version) - Number(b.version));
}
