/**
 * Issue 5, acceptance 6: `switchyard up` (what `npm start` runs) on a fresh data directory prints
 * its banner within 30 s, and from then on serves the README's curl — a tabular prediction —; then
 * it stops all three processes on SIGINT with exit code 0. A bound, not a speed measurement: the
 * test only waits that long.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { eventually } from '../helpers/poll.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

it("switchyard up serves the README's curl within 30 s and stops cleanly on Ctrl-C", async () => {
  const curl = (await readFile(README, 'utf8')).match(/-d '(\{"inputs":\[\{"name":"features".*?\})'/);
  assert.ok(curl, 'the README shows a tabular infer curl');
  const dataDir = await mkdtemp(join(tmpdir(), 'switchyard-up-'));
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port-base', '18400'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output = (output + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // the banner says it is up: from then on the README's curl works, no retry needed
    await eventually('the banner', () => (output.includes('Switchyard is up') ? true : undefined), 30_000, 100);
    const res = await fetch('http://127.0.0.1:18400/v2/models/tabular/infer', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: curl[1] });
    assert.equal(res.status, 200, output);
    const answer = (await res.json()) as any;
    const probabilities: number[] = answer.outputs[0].data;
    assert.equal(probabilities.length, 2);
    assert.ok(Math.abs(probabilities[0]! + probabilities[1]! - 1) < 1e-5, JSON.stringify(probabilities));
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    await rm(dataDir, { recursive: true, force: true });
  }
});
