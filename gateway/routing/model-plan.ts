/**
 * What a gateway should serve for one model: the versions to hold (and how to
 * fetch each), and the traffic policy over them. Built from a model-repository
 * directory or from the registry's view of the model; applied by the catalog.
 */
import type { LoadedVersion } from '../model-repository.js';
import type { ResolvedPolicy, RouteShadow, RouteVariant } from './traffic-router.js';
import { DEFAULT_STICKY_HEADER, resolveTarget, type TrafficPolicy } from '../../models/registry/traffic-policy.js';

export interface PlannedVersion {
  version: string;
  /** Shadow-only versions run on low-priority threads. */
  lowPriority: boolean;
  load(): Promise<LoadedVersion>;
}

export interface ModelPlan {
  name: string;
  /** Grows with every change of the model; an older plan than the one applied is ignored. */
  revision: number;
  policy: ResolvedPolicy;
  versions: PlannedVersion[];
}

/** A directory holds no policy: the newest version takes all traffic, the others answer when pinned. */
export function directoryPlan(name: string, versions: readonly LoadedVersion[]): ModelPlan {
  const sorted = [...versions].sort((a, b) => Number(b.manifest.version) - Number(a.manifest.version));
  const variants: RouteVariant[] = sorted.map((v, i) => ({ version: v.manifest.version, weight: i === 0 ? 100 : 0, role: i === 0 ? 'stable' : 'canary' }));
  return {
    name,
    revision: 0,
    policy: { revision: 0, variants, shadows: [], stickyHeader: DEFAULT_STICKY_HEADER },
    versions: sorted.map((v) => ({ version: v.manifest.version, lowPriority: false, load: async () => v })),
  };
}

export interface RegistryModelState {
  name: string;
  revision: number;
  aliases: Readonly<Record<string, string>>;
  traffic: TrafficPolicy | null;
  /** Versions that may be served (not archived, not refused), ascending. */
  ready: string[];
}

/**
 * The registry's policy over concrete versions. The variant holding the
 * `stable` alias's version is the stable role, every other variant canary.
 */
export function registryPlan(state: RegistryModelState, load: (version: string) => Promise<LoadedVersion>): ModelPlan {
  const ready = new Set(state.ready);
  const newest = state.ready[state.ready.length - 1];
  const policy = state.traffic ?? (newest ? { variants: [{ target: newest, weight: 100 }], shadow: [], sticky_header: DEFAULT_STICKY_HEADER } : { variants: [], shadow: [], sticky_header: DEFAULT_STICKY_HEADER });
  const resolve = (target: string): string | undefined => {
    const version = resolveTarget(target, state.aliases);
    return version !== undefined && ready.has(version) ? version : undefined;
  };
  const live = policy.variants.flatMap((v) => {
    const version = resolve(v.target);
    return version ? [{ version, weight: v.weight }] : [];
  });
  const stable = resolve('stable') ?? [...live].sort((a, b) => b.weight - a.weight)[0]?.version;
  const variants: RouteVariant[] = live.map((v) => ({ ...v, role: v.version === stable ? 'stable' : 'canary' }));
  const shadows: RouteShadow[] = policy.shadow.flatMap((s) => {
    const version = resolve(s.target);
    return version ? [{ version, percent: s.percent }] : [];
  });
  const liveVersions = new Set(variants.map((v) => v.version));
  const needed = new Map<string, boolean>();
  for (const v of liveVersions) needed.set(v, false);
  for (const s of shadows) if (!liveVersions.has(s.version)) needed.set(s.version, true);
  return {
    name: state.name,
    revision: state.revision,
    policy: { revision: state.revision, variants, shadows, stickyHeader: policy.sticky_header },
    versions: [...needed].map(([version, lowPriority]) => ({ version, lowPriority, load: () => load(version) })),
  };
}
