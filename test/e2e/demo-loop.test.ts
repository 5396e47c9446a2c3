/**
 * Issue 5, acceptance 5: the loop end to end with real processes and no human step. `switchyard
 * demo` starts registry, monitor and gateway, registers v1 of seattle-weather (trained on
 * January-June 2012), and replays the following days of the real dataset through the gateway
 * with labels a few days late. The test reads the demo's JSON events — each taken from the
 * stack's public APIs — and asserts the chain: drift flagged, signed webhook, training job,
 * v2 registered and made canary, canary traffic answered by v2, then promotion or a roll-back
 * with its reason, every move in the registry's audit log, and no failed request.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
/** An upper bound for the whole chain; the replay itself is about a minute at 30 days/s. */
const CHAIN_BOUND_MS = 240_000;

interface DemoEvent {
  event: string;
  [key: string]: any;
}

async function runDemo(dataDir: string): Promise<{ code: number | null; events: DemoEvent[]; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'demo', '--data-dir', dataDir, '--port-base', '18300', '--days-per-second', '30', '--until-outcome', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGTERM'), CHAIN_BOUND_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as DemoEvent);
  return { code, events, stderr };
}

describe('switchyard demo: drift → webhook → job → canary → outcome, on real data', () => {
  let dataDir: string;
  let run: Awaited<ReturnType<typeof runDemo>>;
  const first = (name: string): DemoEvent => {
    const e = run.events.find((x) => x.event === name);
    assert.ok(e, `no "${name}" event; events: ${run.events.map((x) => x.event).join(', ')}\n${run.stderr}`);
    return e;
  };
  const indexOf = (name: string): number => run.events.findIndex((x) => x.event === name);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'switchyard-demo-'));
    run = await runDemo(dataDir);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('runs to an outcome and exits 0 without a failed request', () => {
    assert.equal(run.code, 0, run.stderr);
    const finished = first('replay_finished');
    assert.equal(finished.failed_requests, 0);
    assert.ok(finished.outcome === 'promoted' || finished.outcome === 'rolled_back', `outcome ${finished.outcome}`);
  });

  /** The first retrained version that beat stable and was made canary: the one the chain follows. */
  const canaryJob = (): DemoEvent => {
    const job = run.events.find((e) => e.event === 'job_succeeded' && e.result.canary === true);
    assert.ok(job, `no job produced a canary: ${JSON.stringify(run.events.filter((e) => e.event.startsWith('job_')))}`);
    return job;
  };

  it('the monitor flags drift on v1 and fires a signed retraining webhook; the registry trains a version that beats stable', () => {
    assert.equal(first('drift_detected').version, '1');
    assert.ok(first('drift_detected').features.length >= 1);
    assert.equal(first('retrain_webhook').version, '1');
    assert.ok(indexOf('retrain_webhook') < indexOf('job_succeeded'));
    const job = canaryJob();
    assert.ok(Number(job.result.version) >= 2);
    assert.ok(job.result.metrics.holdout_accuracy > job.result.metrics.stable_holdout_accuracy, JSON.stringify(job.result.metrics));
  });

  it('the new version takes canary traffic step by step, then is promoted or rolled back with a reason', () => {
    const version = canaryJob().result.version;
    const steps = run.events.filter((e) => e.event === 'rollout_progressing' && e.version === version).map((e) => e.weight);
    assert.ok(steps.length >= 1 && steps[0] > 0 && steps[0] < 100, `canary steps of v${version}: ${JSON.stringify(steps)}`);
    assert.ok(run.events.some((e) => e.event === 'month' && (e.versions[version]?.served ?? 0) > 0), `v${version} answered no day`);
    const outcome = run.events.find((e) => (e.event === 'rollout_promoted' || e.event === 'rollout_rolled_back') && e.version === version);
    assert.ok(outcome, `no outcome for v${version}: ${JSON.stringify(run.events.filter((e) => e.event.startsWith('rollout_')))}`);
    if (outcome.event === 'rollout_rolled_back') assert.ok(typeof outcome.reason === 'string' && outcome.reason.length > 0);
  });

  it("every move is in the registry's audit log: the trainer's registration, each rollout move with its reason", () => {
    const version = canaryJob().result.version;
    const { records } = first('audit');
    assert.ok(records.some((r: any) => r.actor === 'trainer' && r.action === 'register' && r.version === version), JSON.stringify(records));
    const start = records.find((r: any) => r.actor === 'rollout' && r.action === 'alias.set' && r.alias === 'canary' && r.version === version);
    assert.ok(start, `no rollout start for v${version}: ${JSON.stringify(records)}`);
    const rollout = /^rollout (\S+):/.exec(start.note)![1];
    const moves = records.filter((r: any) => r.actor === 'rollout' && r.note.startsWith(`rollout ${rollout}:`));
    // start (canary alias + traffic), then the outcome: the stable alias moved or the canary alias removed, and the traffic
    assert.ok(moves.length >= 4, `moves of rollout ${rollout}: ${JSON.stringify(moves)}`);
    assert.ok(moves.some((r: any) => r.action === 'alias.delete' && r.alias === 'canary'), `the outcome of rollout ${rollout}: ${JSON.stringify(moves)}`);
  });
});
