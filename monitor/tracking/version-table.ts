/**
 * The versions the monitor tracks, at most `maxVersions` of them: a version appears with its
 * first record and is forgotten after `idleMs` without one (a version retired by a deploy), so
 * the windows' memory is bounded by versions × features × window bound.
 */
import { VersionState, versionKey } from './version-state.js';

export class VersionTable {
  private readonly versions = new Map<string, VersionState>();

  constructor(
    private readonly maxVersions: number,
    private readonly idleMs: number,
    private readonly onForget: (state: VersionState) => void = () => {},
  ) {}

  get(model: string, version: string): VersionState | undefined {
    return this.versions.get(versionKey(model, version));
  }

  /** Whether a record of this version would be tracked (it is, or there is room). */
  admits(model: string, version: string): boolean {
    return this.versions.size < this.maxVersions || this.versions.has(versionKey(model, version));
  }

  /** The version's state, created on first sight; undefined when the table is full. */
  obtain(model: string, version: string, role: string, nowMs: number): VersionState | undefined {
    const key = versionKey(model, version);
    let state = this.versions.get(key);
    if (!state) {
      if (this.versions.size >= this.maxVersions) return undefined;
      state = new VersionState(model, version, role, nowMs);
      this.versions.set(key, state);
    }
    if (role) state.role = role;
    state.lastSeenMs = nowMs;
    return state;
  }

  /** Forgets the versions idle for longer than idleMs. */
  forgetIdle(nowMs: number): void {
    for (const [key, state] of this.versions) {
      if (nowMs - state.lastSeenMs < this.idleMs) continue;
      this.versions.delete(key);
      this.onForget(state);
    }
  }

  all(): IterableIterator<VersionState> {
    return this.versions.values();
  }

  get size(): number {
    return this.versions.size;
  }
}
