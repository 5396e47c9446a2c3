import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { MANIFEST_FILE, MODEL_FILE, ManifestError, parseManifest } from '../../models/manifest.js';
import { generateTabularDataset, mlpExample, mulberry32, normalSampler, tabularExample, writeExampleRepository, type ExampleModel } from '../../models/examples.js';
import { mlpForward } from '../../models/onnx/forward.js';
import { writeModelVersion } from '../../models/repository-writer.js';
import { assertClose } from '../helpers/assert-close.js';


async function runExample(session: ort.InferenceSession, input: Float32Array, rows: number): Promise<Float32Array> {
  const result = await session.run({ features: new ort.Tensor('float32', input, [rows, input.length / rows]) });
  return result.probabilities!.data as Float32Array;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('tabular example', () => {
  const example = tabularExample();
  const data = generateTabularDataset();
  let session: ort.InferenceSession;
  before(async () => {
    session = await ort.InferenceSession.create(example.onnx);
  });
  after(() => session.release());

  it('generates the same dataset from the same seed, and another from another seed', () => {
    assert.deepEqual(generateTabularDataset(), data);
    assert.notDeepEqual(generateTabularDataset(data.rows, 1).features, data.features);
    assert.equal(data.features.length, data.rows * 8);
  });

  it('answers like the TypeScript forward pass for batch 1 and 7', async () => {
    for (const rows of [1, 7]) {
      const input = data.features.slice(100 * 8, (100 + rows) * 8);
      assertClose(await runExample(session, input, rows), mlpForward(example.layers, input, rows), `batch ${rows}`);
    }
  });

  it('classifies its own data far better than chance, as its lineage reports', async () => {
    const probabilities = await runExample(session, data.features, data.rows);
    let correct = 0;
    let positives = 0;
    for (let r = 0; r < data.rows; r++) {
      const predicted = probabilities[r * 2 + 1] > probabilities[r * 2] ? 1 : 0;
      if (predicted === data.labels[r]) correct++;
      positives += data.labels[r];
    }
    const accuracy = correct / data.rows;
    const majority = Math.max(positives, data.rows - positives) / data.rows;
    assert.ok(majority < 0.6, `labels are balanced enough for accuracy to mean something (majority class ${majority})`);
    assert.ok(accuracy > 0.85, `accuracy ${accuracy}`);
    const reported = example.fields.lineage?.metrics?.train_accuracy;
    assert.ok(reported !== undefined && Math.abs(reported - accuracy) < 0.001, `lineage says ${reported}, ONNX Runtime gives ${accuracy}`);
  });
});

describe('mlp example', () => {
  const example = mlpExample();

  it('is 256 → 1024 → 1024 → 16 with ReLU and a softmax head', () => {
    assert.deepEqual(example.layers.map((l) => [l.inFeatures, l.outFeatures, l.activation]), [
      [256, 1024, 'relu'],
      [1024, 1024, 'relu'],
      [1024, 16, 'softmax'],
    ]);
  });

  it('answers like the TypeScript forward pass for batch 1 and 7', async () => {
    const session = await ort.InferenceSession.create(example.onnx);
    try {
      const normal = normalSampler(mulberry32(5));
      for (const rows of [1, 7]) {
        const input = Float32Array.from({ length: rows * 256 }, normal);
        const output = await runExample(session, input, rows);
        assertClose(output, mlpForward(example.layers, input, rows), `batch ${rows}`);
        // A degenerate network (all-zero activations) would answer a flat 1/16 everywhere.
        assert.ok(Math.max(...output) > 2 / 16, `outputs are not all uniform: max ${Math.max(...output)}`);
      }
    } finally {
      await session.release();
    }
  });
});

describe('writeExampleRepository', () => {
  let repo: string;
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'switchyard-examples-'));
  });
  after(() => rm(repo, { recursive: true, force: true }));

  const expected: Record<string, { features: number; classes: number; maxBatch: number }> = {
    tabular: { features: 8, classes: 2, maxBatch: 64 },
    mlp: { features: 256, classes: 16, maxBatch: 128 },
  };

  it('writes both models as version 1 with valid manifests whose sha256 matches the file', async () => {
    const writes = await writeExampleRepository(repo);
    assert.deepEqual(writes, [
      { name: 'tabular', version: '1', written: true },
      { name: 'mlp', version: '1', written: true },
    ]);
    for (const [name, spec] of Object.entries(expected)) {
      const dir = join(repo, name, '1');
      assert.deepEqual((await readdir(dir)).sort(), [MANIFEST_FILE, MODEL_FILE], 'no temp files left behind');
      const manifest = parseManifest(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')), name);
      const model = await readFile(join(dir, MODEL_FILE));
      assert.equal(manifest.sha256, sha256(model));
      assert.deepEqual(manifest.inputs, [{ name: 'features', datatype: 'FP32', shape: [-1, spec.features] }]);
      assert.deepEqual(manifest.outputs, [{ name: 'probabilities', datatype: 'FP32', shape: [-1, spec.classes] }]);
      assert.deepEqual(manifest.batching, { max_batch_size: spec.maxBatch, max_queue_delay_us: 0, preferred_batch_sizes: [], max_queue_size: 4096 });
      assert.deepEqual(manifest.execution, { mode: 'auto', instances: 1, intra_op_threads: 1, providers: ['cpu'] });
      const session = await ort.InferenceSession.create(join(dir, MODEL_FILE));
      assert.deepEqual([session.inputNames, session.outputNames], [['features'], ['probabilities']]);
      await session.release();
    }
  });

  it('changes nothing when called again', async () => {
    const before = await snapshot(repo);
    const writes = await writeExampleRepository(repo);
    assert.ok(writes.every((w) => !w.written), JSON.stringify(writes));
    assert.deepEqual(await snapshot(repo), before);
  });

  it('refuses to overwrite a version holding a different model', async () => {
    const modelPath = join(repo, 'tabular', '1', MODEL_FILE);
    await writeFile(modelPath, 'not the example');
    await assert.rejects(writeExampleRepository(repo), /tabular.1 already holds a model version that differs/);
    assert.equal(await readFile(modelPath, 'utf8'), 'not the example');
  });
});

describe('writeModelVersion', () => {
  it('writes nothing when the manifest is invalid', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'switchyard-writer-'));
    try {
      const fields: ExampleModel['fields'] = { ...tabularExample().fields, outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [2] }] };
      await assert.rejects(writeModelVersion(repo, fields, new Uint8Array([1, 2, 3])), (err: unknown) => {
        assert.ok(err instanceof ManifestError);
        assert.match(err.message, /outputs\[0\]"\.shape must start with -1/);
        return true;
      });
      assert.deepEqual(await readdir(repo), []);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

/** Every file's bytes and modification time, by path. */
async function snapshot(dir: string): Promise<Record<string, { mtimeMs: number; sha256: string }>> {
  const out: Record<string, { mtimeMs: number; sha256: string }> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path] = { mtimeMs: (await stat(path)).mtimeMs, sha256: sha256(await readFile(path)) };
  }
  return out;
}
