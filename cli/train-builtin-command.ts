/**
 * `switchyard train-builtin --data FILE --out DIR [...]`: the built-in trainer behind the trainer
 * command contract (models/training/command-trainer.ts): reads the labeled dataset CSV, trains,
 * writes DIR/model.onnx and DIR/metrics.json, prints one JSON line.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mlpToOnnx } from '../models/onnx/writer.js';
import { BUILTIN_FLAGS, BUILTIN_INPUT_NAME, BUILTIN_OUTPUT_NAME, type BuiltinCommandParams } from '../models/training/builtin-command.js';
import { BUILTIN_TRAINER_DEFAULTS as D, builtinTrainerParams, trainClassifier, type BuiltinAlgorithm } from '../models/training/builtin-trainer.js';
import { METRICS_OUTPUT, MODEL_OUTPUT } from '../models/training/command-trainer.js';
import { datasetHash, parseDatasetCsv } from '../models/training/dataset.js';

export const TRAIN_BUILTIN_HELP = `usage: switchyard train-builtin --data FILE --out DIR [options]

Trains a classifier on a labeled dataset CSV (header: feature names, then "label"; one row per
example; labels are class indices 0..C-1) and writes DIR/${MODEL_OUTPUT} (raw features in,
softmax probabilities out, any batch size) and DIR/${METRICS_OUTPUT} (train_accuracy,
train_log_loss, rows). Deterministic for a seed.

options:
  --data FILE             the labeled dataset CSV
  --out DIR               where to write ${MODEL_OUTPUT} and ${METRICS_OUTPUT} (created if missing)
  --algorithm NAME        logistic (softmax regression) or mlp (one hidden ReLU layer) (default ${D.algorithm})
  --epochs N              passes over the data (default ${D.epochs})
  --hidden N              hidden units, mlp only (default ${D.hidden})
  --batch-size N          rows per Adam step (default ${D.batch_size})
  --learning-rate X       Adam step size (default ${D.learning_rate})
  --l2 X                  weight decay (default ${D.l2})
  --seed N                initial weights and shuffling (default ${D.seed})
  --classes N             output classes (default: largest label + 1)
  --input-name NAME       ONNX input name (default ${BUILTIN_INPUT_NAME})
  --output-name NAME      ONNX output name (default ${BUILTIN_OUTPUT_NAME})
  -h, --help              this help
`;

const OPTIONS = {
  data: { type: 'string' },
  out: { type: 'string' },
  ...Object.fromEntries(Object.values(BUILTIN_FLAGS).map((flag) => [flag, { type: 'string' }])),
  help: { type: 'boolean', short: 'h' },
} as const;

export async function trainBuiltinCommand(argv: string[]): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n\n${TRAIN_BUILTIN_HELP}`);
  }
  if (values.help) {
    process.stdout.write(TRAIN_BUILTIN_HELP);
    return;
  }
  const { data: dataPath, out } = values;
  if (typeof dataPath !== 'string' || typeof out !== 'string') throw new Error(`--data and --out are both required\n\n${TRAIN_BUILTIN_HELP}`);
  const given = commandParams(values);
  const params = builtinTrainerParams(given);

  const data = parseDatasetCsv(await readFile(dataPath, 'utf8'), dataPath);
  const { layers, metrics } = trainClassifier(data, params);
  const onnx = mlpToOnnx(layers, { inputName: given.input_name ?? BUILTIN_INPUT_NAME, outputName: given.output_name ?? BUILTIN_OUTPUT_NAME, graphName: `switchyard_${params.algorithm}` });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, MODEL_OUTPUT), onnx);
  await writeFile(join(out, METRICS_OUTPUT), JSON.stringify(metrics) + '\n');
  const summary = {
    model: join(out, MODEL_OUTPUT),
    features: data.featureNames.length,
    classes: layers[layers.length - 1].outFeatures,
    data_hash: datasetHash(data),
    parameters: params,
    metrics,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
}

/** The trainer flags as parameters: numbers checked here, ranges by builtinTrainerParams. */
function commandParams(values: Record<string, string | boolean | undefined>): BuiltinCommandParams {
  const params: Record<string, string | number> = {};
  for (const [key, flag] of Object.entries(BUILTIN_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    if (key === 'algorithm' || key === 'input_name' || key === 'output_name') {
      params[key] = raw;
      continue;
    }
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} must be a number, got '${raw}'`);
    params[key] = n;
  }
  return params as BuiltinCommandParams & { algorithm?: BuiltinAlgorithm };
}
