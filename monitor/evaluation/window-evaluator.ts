/**
 * Turns a version's windows into figures. Two occasions:
 * - a window *closes* (count windows: every countRows new rows or labelled rows; time windows:
 *   every span, back to back) — its figures are published and held against the policies, so the
 *   "consecutive windows" of a policy never overlap;
 * - a *refresh* (every evaluateIntervalMs) — every window's current figures are published for
 *   the status API and /metrics, without counting as a policy window.
 */
import type { MonitorConfig } from '../config.js';
import type { PolicyEngine } from '../policies/policy-engine.js';
import type { CountWindowCloser } from '../tracking/record-processor.js';
import type { VersionState } from '../tracking/version-state.js';
import type { VersionTable } from '../tracking/version-table.js';
import type { Logger } from '../../runtime/log.js';

type Family = 'drift' | 'quality';

export class WindowEvaluator implements CountWindowCloser {
  private readonly nextTimeClose: Record<Family, number>;

  constructor(
    private readonly config: Readonly<MonitorConfig>,
    private readonly versions: VersionTable,
    private readonly policies: PolicyEngine,
    private readonly log: Logger,
    startMs: number,
  ) {
    this.nextTimeClose = { drift: startMs + config.drift.timeSpanMs, quality: startMs + config.quality.timeSpanMs };
  }

  closeCountWindow(state: VersionState, family: Family, nowMs: number): void {
    this.evaluate(state, family, 'count', nowMs);
    this.observe(state, family, 'count', nowMs);
  }

  /** Refreshes every window's figures; closes the time windows whose span is over. */
  tick(nowMs: number): void {
    for (const state of this.versions.all()) {
      for (const family of ['drift', 'quality'] as const) {
        // a count window changes only with new rows; a time window also as time passes
        if (state.stale[family]) this.evaluate(state, family, 'count', nowMs);
        this.evaluate(state, family, 'time', nowMs);
      }
      state.evaluatedAtMs = nowMs;
    }
    for (const family of ['drift', 'quality'] as const) {
      if (nowMs < this.nextTimeClose[family]) continue;
      const span = this.config[family].timeSpanMs;
      // back to back; after a long pause (a suspended process) start again from now
      this.nextTimeClose[family] = Math.max(this.nextTimeClose[family] + span, nowMs + 1);
      for (const state of this.versions.all()) this.observe(state, family, 'time', nowMs);
    }
  }

  private evaluate(state: VersionState, family: Family, window: 'count' | 'time', nowMs: number): void {
    if (window === 'count') state.stale[family] = false;
    try {
      if (family === 'drift') state.latestDrift[window] = state.drift?.figures(window, nowMs) ?? null;
      else state.latestQuality[window] = state.quality?.figures(window, nowMs) ?? null;
    } catch (err) {
      this.log.error('window evaluation failed', { model: state.model, version: state.version, family, window, error: (err as Error).message });
    }
  }

  private observe(state: VersionState, family: Family, window: 'count' | 'time', nowMs: number): void {
    this.policies.observe(
      {
        model: state.model,
        version: state.version,
        role: state.role,
        window: window === 'count' ? { kind: 'count', rows: this.config[family].countRows } : { kind: 'time', span_ms: this.config[family].timeSpanMs },
        drift: state.latestDrift[window],
        quality: state.latestQuality[window],
      },
      family,
      nowMs,
    );
  }
}
