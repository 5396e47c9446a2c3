/**
 * The registry changes a rollout makes, each through the store's audited
 * methods as actor "rollout" with the reason as the audit note. Convention:
 * alias `stable` names the stable version, alias `canary` the candidate, and
 * the live variants are `stable=100-w, canary=w`; the policy's sticky header
 * and shadow targets are kept (a shadow that would name a live version or the
 * deleted canary alias is dropped, as the store requires).
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { RegistryStore } from '../registry/store.js';
import { resolveTarget, type ShadowTarget } from '../registry/traffic-policy.js';

export const ROLLOUT_ACTOR = 'rollout';

export class RolloutMoves {
  constructor(private readonly store: RegistryStore) {}

  /** Alias canary → version, then live weights stable=100-w, canary=w. */
  async start(model: string, version: string, weight: number, note: string): Promise<void> {
    await this.store.setAlias(ROLLOUT_ACTOR, model, 'canary', version, note);
    await this.setWeight(model, weight, note);
  }

  async setWeight(model: string, weight: number, note: string): Promise<void> {
    const { traffic, aliases } = this.store.model(model);
    const live = new Set([aliases.stable, aliases.canary]);
    await this.store.putTraffic(
      ROLLOUT_ACTOR,
      model,
      {
        variants: [
          { target: 'stable', weight: 100 - weight },
          { target: 'canary', weight },
        ],
        shadow: keptShadows(traffic?.shadow ?? [], aliases, (v) => live.has(v)),
        sticky_header: traffic?.sticky_header,
      },
      note,
    );
  }

  /** Alias stable → the canary's version, all traffic to stable, alias canary deleted. */
  async promote(model: string, version: string, note: string): Promise<void> {
    await this.store.setAlias(ROLLOUT_ACTOR, model, 'stable', version, note);
    await this.allStable(model, note);
  }

  /** All traffic to stable, alias canary deleted (if it still names `version`). */
  async rollBack(model: string, version: string, note: string): Promise<void> {
    await this.allStable(model, note, version);
  }

  private async allStable(model: string, note: string, canaryVersion?: string): Promise<void> {
    const { traffic, aliases } = this.store.model(model);
    await this.store.putTraffic(
      ROLLOUT_ACTOR,
      model,
      {
        variants: [{ target: 'stable', weight: 100 }],
        shadow: keptShadows(traffic?.shadow ?? [], aliases, (v) => v === aliases.stable).filter((s) => s.target !== 'canary'),
        sticky_header: traffic?.sticky_header,
      },
      note,
    );
    const canary = this.store.model(model).aliases.canary;
    if (canary === undefined || (canaryVersion !== undefined && canary !== canaryVersion)) return;
    try {
      await this.store.deleteAlias(ROLLOUT_ACTOR, model, 'canary', note);
    } catch (err) {
      // A shadow entry an operator pointed at "canary" keeps the alias; the rollout is over all the same.
      if (!(err instanceof SwitchyardError && err.code === 'SY_ERR_IN_TRAFFIC')) throw err;
    }
  }
}

function keptShadows(shadow: readonly ShadowTarget[], aliases: Readonly<Record<string, string>>, isLive: (version: string) => boolean): ShadowTarget[] {
  return shadow.filter((s) => {
    const version = resolveTarget(s.target, aliases);
    return version === undefined || !isLive(version);
  });
}
