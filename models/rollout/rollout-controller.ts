/**
 * The progressive rollout controller, inside the registry process. `start`
 * points alias canary at the candidate and gives it the first step's weight;
 * then, every `interval_s`, the figures of the interval (gateway scrapes, the
 * monitor's status) are added to the step's window and judged: hold until the
 * canary has `min_requests`, next step (or promotion after the last) when
 * every judged guard passes, a failed check otherwise — and a roll-back once
 * the failures exceed `failure_limit`. Operators can pause, resume, promote or
 * abort. Every registry change goes through the store's audited methods
 * (rollout-moves.ts); the rollout's own state is persisted per model and a
 * progressing rollout resumes when the registry restarts.
 *
 * One model's operations (ticks and human actions) run one at a time on its
 * own queue, so a verdict never races a pause or an abort.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../runtime/log.js';
import { SwitchyardError } from '../../runtime/errors.js';
import type { RegistryStore } from '../registry/store.js';
import { SerialQueue } from '../registry/serial-queue.js';
import { readMonitor } from './monitor-figures.js';
import { judgeStep, type Verdict } from './rollout-guards.js';
import { RolloutMoves, ROLLOUT_ACTOR } from './rollout-moves.js';
import type { RolloutPolicySet } from './rollout-policy.js';
import { isActive, pushEvent, RolloutFiles, type RolloutCause, type RolloutEvent, type RolloutRecord } from './rollout-record.js';
import { addTraffic, emptyTraffic, type TrafficSource } from './traffic-figures.js';
import type { TrafficOrigin } from './traffic-origin.js';

/**
 * What the training job runner needs: start a rollout of a retrained version that beat stable
 * (the same shape as models/training/canary-starter.ts, so the controller can be passed as it is).
 */
export interface CanaryStarter {
  start(model: string, version: string, cause: { job: string; trigger?: string }): Promise<void>;
}

/** The metrics layer's view of rollouts (see rollout-metrics.ts). */
export interface RolloutObserver {
  rolloutFinished(model: string, outcome: 'promoted' | 'rolled_back'): void;
}

export interface RolloutControllerOptions {
  store: RegistryStore;
  dataDir: string;
  policies: RolloutPolicySet;
  /** Where the guards' request figures come from. */
  traffic: TrafficOrigin;
  monitorUrl?: string;
  log: Logger;
  observer?: RolloutObserver;
}

export interface RolloutStartResult {
  rollout: RolloutRecord;
  /** The rollout this one replaced, when the model already had one in progress. */
  superseded?: { id: string; version: string; reason: string };
}

export class RolloutController implements CanaryStarter {
  private readonly records = new Map<string, RolloutRecord>();
  private readonly queues = new Map<string, SerialQueue>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly scrapers = new Map<string, TrafficSource>();
  private readonly monitorProblems = new Map<string, string>();
  private readonly moves: RolloutMoves;
  private readonly files: RolloutFiles;
  private closed = false;

  private constructor(private readonly options: RolloutControllerOptions) {
    this.moves = new RolloutMoves(options.store);
    this.files = RolloutFiles.at(options.dataDir);
  }

  /** Loads the persisted rollouts and resumes the progressing ones. */
  static async open(options: RolloutControllerOptions): Promise<RolloutController> {
    const controller = new RolloutController(options);
    for (const record of await controller.files.loadAll(options.log)) {
      controller.records.set(record.model, record);
      if (record.state === 'progressing') {
        options.log.info('rollout resumed after restart', { model: record.model, version: record.version, step: record.step, weight: record.weight });
        controller.schedule(record);
      }
    }
    if (!options.traffic.configured) options.log.warn('no traffic figures (--gateway-metrics or --prometheus): rollouts will hold, waiting for samples, until promoted by hand');
    if (!options.monitorUrl) options.log.info('no monitor URL (--monitor): rollout accuracy and drift guards are not judged');
    return controller;
  }

  get store(): RegistryStore {
    return this.options.store;
  }

  /** The model's latest rollout (finished ones stay until the next starts). */
  get(model: string): RolloutRecord | undefined {
    return this.records.get(model);
  }

  /** Every model's latest rollout. */
  all(): RolloutRecord[] {
    return [...this.records.values()];
  }

  /** CanaryStarter: as `startRollout`, for callers that only need to know it started (a superseded rollout is logged). */
  async start(model: string, version: string, cause: RolloutCause = {}): Promise<void> {
    await this.startRollout(model, version, cause);
  }

  /** Alias canary → version at the first step's weight; a rollout of the model still in progress is superseded (aborted), and the result says so. */
  startRollout(model: string, version: string, cause: RolloutCause = {}): Promise<RolloutStartResult> {
    return this.run(model, async () => {
      const actor = cause.actor ?? (cause.job ? `job ${cause.job}` : ROLLOUT_ACTOR);
      const policy = this.options.policies.forModel(model);
      const current = this.options.store.model(model);
      const v = this.options.store.version(model, version);
      if (v.status !== 'ready') throw new SwitchyardError('SY_ERR_ROLLOUT_CONFLICT', `version ${version} of model '${model}' is ${v.status}${v.reason ? ` (${v.reason})` : ''}; a rollout needs a ready version`);
      const stable = current.aliases.stable;
      if (stable === undefined) throw new SwitchyardError('SY_ERR_ROLLOUT_CONFLICT', `model '${model}' has no "stable" alias to roll out against; set one first (switchyard alias set ${model} stable <version>)`);
      if (stable === version) throw new SwitchyardError('SY_ERR_ROLLOUT_CONFLICT', `version ${version} is already the stable version of model '${model}'`);

      let superseded: RolloutStartResult['superseded'];
      const previous = this.records.get(model);
      if (isActive(previous)) {
        const reason = `superseded by a rollout of v${version} (${describeCause(cause, actor)})`;
        this.finish(previous, 'aborted', reason);
        pushEvent(previous, this.event(previous, 'superseded', actor, reason));
        await this.files.save(previous);
        superseded = { id: previous.id, version: previous.version, reason };
        this.options.log.warn('rollout superseded', { model, version: previous.version, by: version });
      }

      const now = new Date().toISOString();
      const record: RolloutRecord = {
        format: 1,
        id: `${model}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
        model,
        version,
        stable_version: stable,
        state: 'progressing',
        step: 0,
        weight: policy.steps[0]!,
        failures: 0,
        policy: { ...policy, steps: [...policy.steps] },
        cause: { ...cause, actor },
        started_at: now,
        updated_at: now,
        window: { stable: emptyTraffic(), canary: emptyTraffic() },
        history: [],
      };
      const note = `rollout ${record.id}: start v${version} against stable v${stable} at ${record.weight}% (${describeCause(cause, actor)})`;
      await this.moves.start(model, version, record.weight, note);
      pushEvent(record, this.event(record, 'start', actor, note));
      this.records.set(model, record);
      await this.files.save(record);
      this.monitorProblems.delete(model);
      const scraper = this.options.traffic.source(model);
      this.scrapers.set(model, scraper);
      await scraper.scrape(); // the baseline the first interval is measured from
      this.schedule(record);
      this.options.log.info('rollout started', { model, version, stable, weight: record.weight, steps: policy.steps, cause: record.cause, superseded: superseded?.id });
      return superseded ? { rollout: record, superseded } : { rollout: record };
    });
  }

  /** Stops evaluating; the weights stay as they are. */
  pause(model: string, actor: string): Promise<RolloutRecord> {
    return this.run(model, async () => {
      const r = this.require(model, ['progressing'], 'pause');
      this.unschedule(model);
      r.state = 'paused';
      r.reason = `paused by ${actor}`;
      pushEvent(r, this.event(r, 'pause', actor, r.reason));
      await this.save(r);
      return r;
    });
  }

  /** Evaluates again from a fresh window (figures gathered while paused are not judged). */
  resume(model: string, actor: string): Promise<RolloutRecord> {
    return this.run(model, async () => {
      const r = this.require(model, ['paused'], 'resume');
      r.state = 'progressing';
      delete r.reason;
      r.window = { stable: emptyTraffic(), canary: emptyTraffic() };
      pushEvent(r, this.event(r, 'resume', actor, `resumed by ${actor}`));
      await this.save(r);
      const scraper = this.scraperOf(r);
      scraper.reset();
      await scraper.scrape();
      this.schedule(r);
      return r;
    });
  }

  promote(model: string, actor: string): Promise<RolloutRecord> {
    return this.run(model, async () => {
      const r = this.require(model, ['progressing', 'paused'], 'promote');
      await this.promoteNow(r, actor, `promoted by ${actor} at step ${r.step + 1} of ${r.policy.steps.length} (${r.weight}%)`);
      return r;
    });
  }

  /** Rolls back now: all traffic to stable; state rolled_back, reason "aborted by <actor>". */
  abort(model: string, actor: string): Promise<RolloutRecord> {
    return this.run(model, async () => {
      const r = this.require(model, ['progressing', 'paused'], 'abort');
      await this.rollBackNow(r, actor, `aborted by ${actor}`, 'abort');
      return r;
    });
  }

  /** Stops the timers and waits for operations in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const model of [...this.timers.keys()]) this.unschedule(model);
    await Promise.all([...this.queues.values()].map((q) => q.idle()));
  }

  /** One evaluation of the model's rollout `id` (what the timer runs); a no-op once that rollout is not progressing. */
  evaluate(model: string, id: string): Promise<void> {
    return this.run(model, async () => {
      const r = this.records.get(model);
      if (!r || r.id !== id || r.state !== 'progressing' || this.closed) return;
      this.timers.delete(model);
      try {
        await this.evaluateStep(r);
      } catch (err) {
        this.options.log.error('rollout evaluation failed; trying again next interval', { model, version: r.version, error: (err as Error).message });
      }
      if (r.state === 'progressing') this.schedule(r);
    });
  }

  private async evaluateStep(r: RolloutRecord): Promise<void> {
    const { aliases } = this.options.store.model(r.model);
    if (aliases.canary !== r.version || aliases.stable !== r.stable_version) {
      const reason = `aliases moved outside the rollout (stable → ${aliases.stable ? `v${aliases.stable}` : 'none'}, canary → ${aliases.canary ? `v${aliases.canary}` : 'none'}); the rollout stops and leaves traffic as it is`;
      this.finish(r, 'aborted', reason);
      pushEvent(r, this.event(r, 'abort', ROLLOUT_ACTOR, reason));
      await this.files.save(r);
      this.options.log.warn('rollout aborted', { model: r.model, version: r.version, reason });
      return;
    }
    const scrape = await this.scraperOf(r).scrape();
    for (const problem of scrape.problems) this.options.log.warn('gateway metrics unreachable for rollout', { model: r.model, problem });
    addTraffic(r.window.stable, scrape.versions.get(r.stable_version) ?? emptyTraffic());
    addTraffic(r.window.canary, scrape.versions.get(r.version) ?? emptyTraffic());
    const monitor = await readMonitor(this.options.monitorUrl, r.model);
    if (!monitor.ok && this.monitorProblems.get(r.model) !== monitor.problem) {
      this.options.log.warn('rollout guards on the monitor are not judged', { model: r.model, problem: monitor.problem });
      this.monitorProblems.set(r.model, monitor.problem);
    } else if (monitor.ok) this.monitorProblems.delete(r.model);

    const verdict = judgeStep(r.policy, { stable: r.stable_version, canary: r.version }, r.window, monitor);
    r.last_verdict = { time: new Date().toISOString(), outcome: verdict.outcome, reason: verdict.reason };
    if (verdict.outcome === 'hold') {
      pushEvent(r, this.verdictEvent(r, 'hold', verdict));
      await this.save(r);
    } else if (verdict.outcome === 'pass') {
      if (r.step === r.policy.steps.length - 1) {
        await this.promoteNow(r, ROLLOUT_ACTOR, `promoted: every step passed (last: ${verdict.reason})`, verdict);
        return;
      }
      const from = r.weight;
      r.step++;
      r.weight = r.policy.steps[r.step]!;
      r.failures = 0;
      r.window = { stable: emptyTraffic(), canary: emptyTraffic() };
      await this.moves.setWeight(r.model, r.weight, `rollout ${r.id}: step ${r.step + 1} of ${r.policy.steps.length}, canary v${r.version} ${from}% → ${r.weight}% (${verdict.reason})`);
      pushEvent(r, this.verdictEvent(r, 'step', verdict));
      await this.save(r);
      this.options.log.info('rollout step', { model: r.model, version: r.version, weight: r.weight, step: r.step });
    } else {
      r.failures++;
      r.window = { stable: emptyTraffic(), canary: emptyTraffic() };
      if (r.failures > r.policy.failure_limit) {
        await this.rollBackNow(r, ROLLOUT_ACTOR, `rolled back at ${r.weight}% after ${r.failures} failed checks (limit ${r.policy.failure_limit}): ${verdict.reason}`, 'rollback', verdict);
        return;
      }
      pushEvent(r, this.verdictEvent(r, 'check_failed', verdict));
      await this.save(r);
      this.options.log.warn('rollout check failed', { model: r.model, version: r.version, failures: r.failures, limit: r.policy.failure_limit, reason: verdict.reason });
    }
  }

  private async promoteNow(r: RolloutRecord, actor: string, reason: string, verdict?: Verdict): Promise<void> {
    this.unschedule(r.model);
    await this.moves.promote(r.model, r.version, `rollout ${r.id}: ${reason}`);
    this.finish(r, 'promoted', reason);
    pushEvent(r, verdict ? this.verdictEvent(r, 'promote', verdict, reason) : this.event(r, 'promote', actor, reason));
    this.options.observer?.rolloutFinished(r.model, 'promoted');
    await this.files.save(r);
    this.options.log.info('rollout promoted', { model: r.model, version: r.version, reason });
  }

  private async rollBackNow(r: RolloutRecord, actor: string, reason: string, kind: 'rollback' | 'abort', verdict?: Verdict): Promise<void> {
    this.unschedule(r.model);
    const weight = r.weight;
    await this.moves.rollBack(r.model, r.version, `rollout ${r.id}: ${reason}`);
    this.finish(r, 'rolled_back', reason);
    pushEvent(r, verdict ? this.verdictEvent(r, kind, verdict, reason) : this.event(r, kind, actor, reason));
    this.options.observer?.rolloutFinished(r.model, 'rolled_back');
    await this.files.save(r);
    this.options.log.warn('rollout rolled back', { model: r.model, version: r.version, weight, reason });
  }

  private finish(r: RolloutRecord, state: 'promoted' | 'rolled_back' | 'aborted', reason: string): void {
    this.unschedule(r.model);
    this.scrapers.delete(r.model);
    r.state = state;
    r.reason = reason;
    r.weight = 0;
    r.finished_at = r.updated_at = new Date().toISOString();
  }

  private async save(r: RolloutRecord): Promise<void> {
    r.updated_at = new Date().toISOString();
    await this.files.save(r);
  }

  private require(model: string, states: RolloutRecord['state'][], action: string): RolloutRecord {
    this.options.store.model(model); // 404 for an unknown model
    const r = this.records.get(model);
    if (!r) throw new SwitchyardError('SY_ERR_ROLLOUT_NOT_FOUND', `model '${model}' has no rollout to ${action}; start one with POST /api/v1/models/${model}/rollout {"version": "<n>"}`);
    if (!states.includes(r.state)) {
      throw new SwitchyardError('SY_ERR_ROLLOUT_CONFLICT', `cannot ${action} the rollout of v${r.version} of model '${model}': it is ${r.state}${r.reason ? ` (${r.reason})` : ''}; ${action} needs it ${states.join(' or ')}`);
    }
    return r;
  }

  private scraperOf(r: RolloutRecord): TrafficSource {
    let scraper = this.scrapers.get(r.model);
    if (!scraper) this.scrapers.set(r.model, (scraper = this.options.traffic.source(r.model)));
    return scraper;
  }

  private schedule(r: RolloutRecord): void {
    if (this.closed) return;
    this.unschedule(r.model);
    this.timers.set(r.model, setTimeout(() => void this.evaluate(r.model, r.id).catch(() => undefined), r.policy.interval_s * 1000));
  }

  private unschedule(model: string): void {
    clearTimeout(this.timers.get(model));
    this.timers.delete(model);
  }

  private run<T>(model: string, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the registry is shutting down; retry against its replacement'));
    let queue = this.queues.get(model);
    if (!queue) this.queues.set(model, (queue = new SerialQueue()));
    return queue.run(task);
  }

  private event(r: RolloutRecord, event: RolloutEvent['event'], actor: string, reason: string): RolloutEvent {
    return { time: new Date().toISOString(), event, actor, step: r.step, weight: r.weight, reason };
  }

  private verdictEvent(r: RolloutRecord, event: RolloutEvent['event'], verdict: Verdict, reason = verdict.reason): RolloutEvent {
    return { ...this.event(r, event, ROLLOUT_ACTOR, reason), checks: verdict.checks, figures: verdict.figures };
  }
}

function describeCause(cause: RolloutCause, actor: string): string {
  const parts = [`by ${actor}`];
  if (cause.job && actor !== `job ${cause.job}`) parts.push(`job ${cause.job}`);
  if (cause.trigger) parts.push(`trigger ${cause.trigger}`);
  return parts.join(', ');
}
