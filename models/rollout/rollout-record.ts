/**
 * The state of a model's latest rollout, persisted at
 * `<dataDir>/rollouts/<model>.json` (written atomically after every move and
 * verdict): where it is, the figures gathered for the current step, and its
 * history of steps, verdicts and human actions. A file that cannot be read is
 * reported and left alone; it never stops the registry.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { writeFileAtomic } from '../repository-writer.js';
import { mkdirDurable } from '../registry/durable-fs.js';
import type { GuardCheck, StepFigures, StepWindow } from './rollout-guards.js';
import type { RolloutPolicy } from './rollout-policy.js';

export const ROLLOUTS_DIR = 'rollouts';
/** Older history entries are dropped past this many (consecutive holds share one entry). */
export const HISTORY_MAX = 200;

/** aborted: superseded by a newer rollout, or its aliases were moved by hand. */
export type RolloutState = 'progressing' | 'paused' | 'promoted' | 'rolled_back' | 'aborted';

export type RolloutEventKind = 'start' | 'hold' | 'check_failed' | 'step' | 'promote' | 'rollback' | 'pause' | 'resume' | 'abort' | 'superseded';

export interface RolloutEvent {
  time: string;
  event: RolloutEventKind;
  actor: string;
  /** Step index and canary weight after the event. */
  step: number;
  weight: number;
  reason?: string;
  checks?: GuardCheck[];
  figures?: StepFigures;
  /** Consecutive holds on one step share an entry: how many. */
  count?: number;
}

export interface RolloutCause {
  job?: string;
  trigger?: string;
  actor?: string;
}

export interface RolloutRecord {
  format: 1;
  id: string;
  model: string;
  /** The canary version. */
  version: string;
  stable_version: string;
  state: RolloutState;
  /** Index into policy.steps. */
  step: number;
  /** The canary's live weight now (0 once finished). */
  weight: number;
  failures: number;
  policy: RolloutPolicy;
  cause: RolloutCause;
  started_at: string;
  updated_at: string;
  finished_at?: string;
  /** Why it ended (or why it is paused). */
  reason?: string;
  last_verdict?: { time: string; outcome: 'hold' | 'pass' | 'fail'; reason: string };
  /** Figures gathered since the step began or since its last failed check. */
  window: StepWindow;
  history: RolloutEvent[];
}

/** switchyard_rollout_state: an aborted rollout (superseded, or its aliases moved by hand) reads as idle. */
export const STATE_CODE: Record<RolloutState | 'idle', number> = { idle: 0, progressing: 1, paused: 2, promoted: 3, rolled_back: 4, aborted: 0 };

export function isActive(r: RolloutRecord | undefined): r is RolloutRecord {
  return r !== undefined && (r.state === 'progressing' || r.state === 'paused');
}

export function pushEvent(r: RolloutRecord, event: RolloutEvent): void {
  const last = r.history[r.history.length - 1];
  if (event.event === 'hold' && last?.event === 'hold' && last.step === event.step) {
    r.history[r.history.length - 1] = { ...event, count: (last.count ?? 1) + 1 };
  } else {
    r.history.push(event);
  }
  if (r.history.length > HISTORY_MAX) r.history.splice(0, r.history.length - HISTORY_MAX);
}

export class RolloutFiles {
  constructor(private readonly dir: string) {}

  static at(dataDir: string): RolloutFiles {
    return new RolloutFiles(join(dataDir, ROLLOUTS_DIR));
  }

  async save(record: RolloutRecord): Promise<void> {
    await mkdirDurable(this.dir);
    await writeFileAtomic(join(this.dir, `${record.model}.json`), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
  }

  async loadAll(log: Logger): Promise<RolloutRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const records: RolloutRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const path = join(this.dir, name);
      try {
        const raw = JSON.parse(await readFile(path, 'utf8')) as RolloutRecord;
        const model = name.slice(0, -'.json'.length);
        if (raw?.format !== 1 || raw.model !== model || typeof raw.version !== 'string' || !Array.isArray(raw.history) || !raw.policy || !raw.window) {
          throw new Error(`not a rollout record of '${model}' (format 1 with model, version, policy, window, history)`);
        }
        records.push(raw);
      } catch (err) {
        log.error('rollout state file unreadable; that rollout is left as it is', { file: path, error: (err as Error).message });
      }
    }
    return records;
  }
}
