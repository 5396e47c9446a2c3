/**
 * Training jobs on disk: `<dataDir>/training/jobs/<id>.json` (written atomically, one writer) and
 * the job's log `<id>.log` (appended, one timestamped line per step or trainer output line).
 *
 * On open, a job left `running` by a registry that stopped is marked failed (nothing resumes a
 * half-done training run) and a `queued` one is handed back to be queued again. Only the newest
 * HISTORY_PER_MODEL finished jobs of a model are kept.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../runtime/log.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { writeFileAtomic } from '../repository-writer.js';
import { mkdirDurable } from '../registry/durable-fs.js';
import { SerialQueue } from '../registry/serial-queue.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobResult {
  /** The version the job registered, if it got that far. */
  version?: string;
  /** Whether the version was handed to the canary starter. */
  canary: boolean;
  /** Why it was, or was not. */
  canary_reason: string;
  data_hash?: string;
  metrics?: Record<string, number>;
}

export interface JobRecord {
  id: string;
  model: string;
  state: JobState;
  /** What asked for the job: webhook ids, or "manual:<actor>"; a trigger coalesced into a queued job is appended. */
  triggers: string[];
  /** A dataset path a manual trigger asked for, instead of the spec's data source. */
  dataset?: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  result?: JobResult;
  error?: string;
}

export const HISTORY_PER_MODEL = 100;
export const RESTART_FAILURE = 'the registry stopped while the job ran';
const JOB_ID = /^job-[0-9a-z]+-[0-9a-f]{6}$/;

export function jobsDirectory(dataDir: string): string {
  return join(dataDir, 'training', 'jobs');
}

export class JobStore {
  private readonly writes = new SerialQueue();
  private readonly logs = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly jobs: Map<string, JobRecord>,
    private readonly log: Logger,
  ) {}

  /** Loads every job; returns the store and the queued jobs to queue again, oldest first. */
  static async open(dataDir: string, log: Logger): Promise<{ store: JobStore; queued: JobRecord[] }> {
    const dir = jobsDirectory(dataDir);
    await mkdirDurable(dir);
    const jobs = new Map<string, JobRecord>();
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const path = join(dir, name);
      try {
        const job = parseJob(JSON.parse(await readFile(path, 'utf8')), name.slice(0, -'.json'.length));
        jobs.set(job.id, job);
      } catch (err) {
        log.warn('ignoring an unreadable training job file', { path, error: (err as Error).message });
      }
    }
    const store = new JobStore(dir, jobs, log);
    const queued: JobRecord[] = [];
    for (const job of store.list()) {
      if (job.state === 'running') {
        log.warn('a training job was running when the registry stopped; marking it failed', { job: job.id, model: job.model });
        store.appendLog(job.id, `failed: ${RESTART_FAILURE}`);
        await store.update(job.id, { state: 'failed', error: RESTART_FAILURE, finished_at: new Date().toISOString() });
      } else if (job.state === 'queued') {
        queued.push(job);
      }
    }
    return { store, queued: queued.reverse() };
  }

  async create(model: string, trigger: string, dataset?: string): Promise<JobRecord> {
    const now = new Date();
    const job: JobRecord = { id: `job-${now.getTime().toString(36)}-${randomBytes(3).toString('hex')}`, model, state: 'queued', triggers: [trigger], created_at: now.toISOString() };
    if (dataset !== undefined) job.dataset = dataset;
    this.jobs.set(job.id, job);
    await this.persist(job);
    await this.prune(model);
    return { ...job };
  }

  /** Applies `patch` and persists the job; returns the new record. */
  async update(id: string, patch: Partial<Omit<JobRecord, 'id' | 'model'>>): Promise<JobRecord> {
    const job = this.jobs.get(id);
    if (!job) throw new SwitchyardError('SY_ERR_JOB_NOT_FOUND', `no training job ${id}`);
    Object.assign(job, patch);
    await this.persist(job);
    return { ...job };
  }

  get(id: string): JobRecord {
    const job = JOB_ID.test(id) ? this.jobs.get(id) : undefined;
    if (!job) throw new SwitchyardError('SY_ERR_JOB_NOT_FOUND', `no training job ${JSON.stringify(id)}${JOB_ID.test(id) ? ' (it may have been pruned: a model keeps its last ' + HISTORY_PER_MODEL + ' jobs)' : '; job ids look like job-lx2k9a1-3f9c0b'}`);
    return { ...job, triggers: [...job.triggers] };
  }

  /** Newest first; only `model`'s when given. */
  list(model?: string): JobRecord[] {
    return [...this.jobs.values()]
      .filter((j) => model === undefined || j.model === model)
      .sort((a, b) => (a.created_at === b.created_at ? b.id.localeCompare(a.id) : b.created_at.localeCompare(a.created_at)))
      .map((j) => ({ ...j, triggers: [...j.triggers] }));
  }

  /** Appends a timestamped line to the job's log (in order; failures are logged, never thrown). */
  appendLog(id: string, text: string): void {
    const lines = text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1);
    const stamp = new Date().toISOString();
    const chunk = lines.map((l) => `${stamp} ${l}\n`).join('');
    const previous = this.logs.get(id) ?? Promise.resolve();
    const next = previous.then(() => appendFile(join(this.dir, `${id}.log`), chunk)).catch((err: unknown) => this.log.error('cannot append to a training job log', { job: id, error: (err as Error).message }));
    this.logs.set(id, next);
    void next.finally(() => {
      if (this.logs.get(id) === next) this.logs.delete(id);
    });
  }

  async readLog(id: string): Promise<string> {
    this.get(id);
    await this.logs.get(id);
    try {
      return await readFile(join(this.dir, `${id}.log`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  }

  /** Waits for pending job and log writes. */
  async close(): Promise<void> {
    await this.writes.idle();
    await Promise.all([...this.logs.values()]);
  }

  private persist(job: JobRecord): Promise<void> {
    const snapshot = `${JSON.stringify(job, null, 2)}\n`;
    return this.writes.run(() => writeFileAtomic(join(this.dir, `${job.id}.json`), new TextEncoder().encode(snapshot)));
  }

  private async prune(model: string): Promise<void> {
    const finished = this.list(model).filter((j) => j.state === 'succeeded' || j.state === 'failed');
    for (const old of finished.slice(HISTORY_PER_MODEL)) {
      this.jobs.delete(old.id);
      await this.writes.run(async () => {
        await rm(join(this.dir, `${old.id}.json`), { force: true });
        await rm(join(this.dir, `${old.id}.log`), { force: true });
      });
    }
  }
}

function parseJob(raw: unknown, id: string): JobRecord {
  if (typeof raw !== 'object' || raw === null) throw new Error('not a JSON object');
  const job = raw as JobRecord;
  if (job.id !== id || !JOB_ID.test(id)) throw new Error(`"id" ${JSON.stringify(job.id)} does not match the file name`);
  if (typeof job.model !== 'string' || !['queued', 'running', 'succeeded', 'failed'].includes(job.state)) throw new Error('"model" or "state" is missing or invalid');
  if (!Array.isArray(job.triggers) || typeof job.created_at !== 'string') throw new Error('"triggers" or "created_at" is missing');
  return job;
}
