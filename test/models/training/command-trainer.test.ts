import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { generateTabularDataset } from '../../../models/examples.js';
import { builtinTrainerCommand } from '../../../models/training/builtin-command.js';
import { runTrainerCommand, TrainerFailure, type TrainerFailureReason } from '../../../models/training/command-trainer.js';
import { datasetCsv, datasetHash } from '../../../models/training/dataset.js';
import { until } from '../../helpers/poll.js';

describe('runTrainerCommand', () => {
  let dir: string;
  let dataPath: string;
  const data = generateTabularDataset(400, 8);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-trainer-'));
    // a quote and a space in the path: the placeholders must be shell-quoted
    dataPath = join(dir, "it's data.csv");
    await writeFile(dataPath, datasetCsv(data));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs `command`, expecting a TrainerFailure with `reason`; returns it and the logged lines. */
  /** Killed with its group: gone, or a zombie until whoever inherited it reaps it. */
  async function wentWithItsGroup(pid: number): Promise<void> {
    await until(`the background sleep (pid ${pid}) went with its group`, async () => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    }, 5_000);
  }

  async function failure(command: string, reason: TrainerFailureReason, timeoutMs = 20_000): Promise<{ error: TrainerFailure; lines: string[] }> {
    const lines: string[] = [];
    const error = await runTrainerCommand({ command, timeoutMs }, dataPath, join(dir, `out-${reason}-${lines.length}${Math.random()}`), (l) => lines.push(l)).then(
      () => assert.fail(`expected a ${reason} failure`),
      (err: unknown) => err,
    );
    assert.ok(error instanceof TrainerFailure, String(error));
    assert.equal(error.reason, reason, error.message);
    return { error, lines };
  }

  it('runs the built-in trainer through the contract: model.onnx that ORT loads, metrics, every output line logged', async () => {
    const out = join(dir, 'out dir');
    const lines: string[] = [];
    const command = builtinTrainerCommand({ algorithm: 'mlp', hidden: 8, epochs: 10, seed: 2, input_name: 'x', output_name: 'p' });
    const result = await runTrainerCommand({ command, timeoutMs: 60_000 }, dataPath, out, (l) => lines.push(l));
    assert.equal(result.onnxPath, join(out, 'model.onnx'));
    assert.equal(result.metrics.rows, 400);
    assert.ok(result.metrics.train_accuracy! > 0.8, JSON.stringify(result.metrics));
    assert.deepEqual(Object.keys(result.metrics).sort(), ['rows', 'train_accuracy', 'train_log_loss']);
    const summary = JSON.parse(lines.find((l) => l.startsWith('stdout: '))!.slice('stdout: '.length));
    assert.equal(summary.data_hash, datasetHash(data));
    assert.deepEqual(summary.metrics, result.metrics);
    assert.equal(summary.parameters.algorithm, 'mlp');
    const session = await ort.InferenceSession.create(result.onnxPath);
    try {
      assert.deepEqual([session.inputNames, session.outputNames], [['x'], ['p']]);
      const answer = await session.run({ x: new ort.Tensor('float32', data.features.subarray(0, 3 * 8), [3, 8]) });
      const p = answer.p!.data as Float32Array;
      for (let r = 0; r < 3; r++) assert.ok(Math.abs(p[r * 2]! + p[r * 2 + 1]! - 1) < 1e-5, 'softmax rows');
    } finally {
      await session.release();
    }
    assert.deepEqual(JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')), result.metrics);
  });

  it('reports a non-zero exit with its code and the last stderr lines', async () => {
    const { error, lines } = await failure('echo preparing; echo "CUDA out of memory" >&2; exit 3', 'exit');
    assert.match(error.message, /exited with code 3, expected 0; last stderr lines:\nCUDA out of memory/);
    assert.deepEqual(lines, ['stdout: preparing', 'stderr: CUDA out of memory']);
  });

  it('stops the whole process group at the timeout, SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = join(dir, 'sleeper.pid');
    // the shell and its child ignore SIGTERM: only the SIGKILL after the grace period stops them
    // (1 s: time enough for the shell to start its child on a loaded machine)
    const { error, lines } = await failure(`trap '' TERM; sleep 30 & echo $! > '${pidFile}'; echo started; wait`, 'timeout', 1000);
    assert.match(error.message, /did not finish within 1000 ms and was stopped \(SIGTERM, SIGKILL after 2 s\)/);
    assert.deepEqual(lines, ['stdout: started']);
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    await wentWithItsGroup(sleeper);
  });

  it('stops the process group when the registry shuts down (the abort signal), reason stopped', async () => {
    const pidFile = join(dir, 'stopped.pid');
    const stop = new AbortController();
    const lines: string[] = [];
    // "started" once the child's pid is written, so that the stop cannot come first
    const running = runTrainerCommand({ command: `sleep 30 & echo $! > '${pidFile}'; echo started; wait`, timeoutMs: 60_000, signal: stop.signal }, dataPath, join(dir, 'out-stopped'), (l) => lines.push(l));
    await until('the trainer started', () => lines.includes('stdout: started'), 10_000);
    stop.abort();
    const error = await running.then(
      () => assert.fail('expected the trainer to be stopped'),
      (err: unknown) => err as TrainerFailure,
    );
    assert.equal(error.reason, 'stopped', error.message);
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    await wentWithItsGroup(sleeper);
  });

  it('requires model.onnx', async () => {
    const { error } = await failure(`echo '{"accuracy": 1}' > {out}/metrics.json`, 'missing_output');
    assert.match(error.message, /model\.onnx does not exist; a trainer must write \{out\}\/model\.onnx/);
  });

  it('requires metrics.json', async () => {
    const { error } = await failure('printf onnx > {out}/model.onnx', 'missing_output');
    assert.match(error.message, /metrics\.json does not exist/);
  });

  it('requires metrics.json to be an object of finite numbers', async () => {
    const cases: [string, RegExp][] = [
      ['{"accuracy": "high"}', /"accuracy" is "high", expected a finite number/],
      ['[0.9]', /holds an array; expected an object of finite numbers/],
      ['accuracy=0.9', /is not JSON/],
    ];
    for (const [metrics, message] of cases) {
      const { error } = await failure(`printf onnx > {out}/model.onnx; printf '%s' '${metrics}' > {out}/metrics.json`, 'bad_metrics');
      assert.match(error.message, message);
    }
  });
});
