/**
 * The rollout series on the registry's /metrics (deploy/README.md promises
 * them; the dashboard's "Rollout state" panel and SwitchyardRolloutRolledBack
 * read them), for every model the registry holds:
 * - switchyard_rollout_state{model}: 0 idle, 1 progressing, 2 paused,
 *   3 promoted, 4 rolled back — the last outcome stays until the next rollout;
 * - switchyard_rollouts_total{model,outcome}: promoted | rolled_back, both
 *   created at 0 so that the first one is an increase Prometheus can see;
 * - switchyard_rollout_canary_weight_percent{model}: the canary's live weight
 *   under the rollout (0 without one in progress).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RegistryStore } from '../registry/store.js';
import type { RolloutController, RolloutObserver } from './rollout-controller.js';
import { isActive, STATE_CODE } from './rollout-record.js';

export class RolloutMetrics implements RolloutObserver {
  private readonly finished: Counter<'model' | 'outcome'>;
  private controller: RolloutController | undefined;

  constructor(registry: Registry, store: RegistryStore) {
    const registers = [registry];
    const models = (): string[] => store.listModels().map((m) => m.name);
    const rollout = (model: string) => this.controller?.get(model);
    this.finished = new Counter({
      name: 'switchyard_rollouts_total',
      help: 'Progressive rollouts finished, by outcome (promoted, rolled_back; an operator abort is a roll-back).',
      labelNames: ['model', 'outcome'],
      registers,
      collect() {
        for (const model of models()) for (const outcome of ['promoted', 'rolled_back']) this.inc({ model, outcome }, 0);
      },
    });
    new Gauge({
      name: 'switchyard_rollout_state',
      help: 'Progressive rollout of the model: 0 idle, 1 progressing, 2 paused, 3 promoted, 4 rolled back (the last outcome stays until the next rollout).',
      labelNames: ['model'],
      registers,
      collect() {
        for (const model of models()) this.set({ model }, STATE_CODE[rollout(model)?.state ?? 'idle']);
      },
    });
    new Gauge({
      name: 'switchyard_rollout_canary_weight_percent',
      help: "The canary's live traffic weight under the model's rollout in progress (0 without one).",
      labelNames: ['model'],
      registers,
      collect() {
        for (const model of models()) {
          const r = rollout(model);
          this.set({ model }, isActive(r) ? r.weight : 0);
        }
      },
    });
  }

  /** The controller is built after the metrics (it reports to them). */
  attach(controller: RolloutController): void {
    this.controller = controller;
  }

  rolloutFinished(model: string, outcome: 'promoted' | 'rolled_back'): void {
    this.finished.inc({ model, outcome });
  }
}
