/**
 * How each model is retrained (`switchyard registry --training FILE`): a JSON list of specs, one
 * per model, and an entry `"model": "*"` for every other model. Without a file (or a "*" entry)
 * a model trains with the built-in logistic regression on the monitor's labeled data.
 *
 *   [{ "model": "*", "trainer": { "builtin": { "algorithm": "logistic" } } },
 *    { "model": "credit", "trainer": { "command": "python train.py --data {data} --out {out}", "timeout_s": 900 },
 *      "data": { "monitor": true, "min_rows": 500, "max_rows": 50000 }, "holdout_fraction": 0.2, "margin": 0.01 }]
 *
 * A relative "dataset" path is read from the file's directory. Validated once at load: every
 * error names the entry and the field and says what was expected; the result is frozen.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { modelNameProblem } from '../manifest.js';
import { BUILTIN_TRAINER_DEFAULTS, builtinTrainerParams, type BuiltinAlgorithm, type BuiltinTrainerParams } from './builtin-trainer.js';

export interface BuiltinTrainerSpec {
  kind: 'builtin';
  algorithm: BuiltinAlgorithm;
  /** The knobs given in the file (epochs, hidden, learning_rate, ...); the trainer fills the rest. */
  params: Readonly<Partial<Omit<BuiltinTrainerParams, 'algorithm'>>>;
  timeoutMs: number;
}

export interface CommandTrainerSpec {
  kind: 'command';
  /** A shell command line with {data} and {out} placeholders. */
  command: string;
  timeoutMs: number;
}

export interface TrainingDataSpec {
  /** Fetch the monitor's labeled-data export (needs --monitor) when neither the trigger nor `dataset` names a file. */
  monitor: boolean;
  /** A CSV file in the dataset format, used instead of the monitor; a manual trigger's dataset wins over it. */
  dataset?: string;
  /** Append the new data to the stable version's training set, when the registry kept it. */
  mergePrevious: boolean;
  minRows: number;
  /** Keep only the newest rows beyond this. */
  maxRows?: number;
}

export interface TrainingSpec {
  /** The model name, or "*" for the default entry. */
  model: string;
  trainer: BuiltinTrainerSpec | CommandTrainerSpec;
  data: TrainingDataSpec;
  /** The newest share of the rows held out for evaluation (0 < f < 1). */
  holdoutFraction: number;
  /** A new version becomes canary only when its holdout accuracy beats stable's by at least this. */
  margin: number;
}

export const DEFAULT_TIMEOUT_S = 3600;

export const DEFAULT_SPEC: TrainingSpec = deepFreeze({
  model: '*',
  trainer: { kind: 'builtin', algorithm: 'logistic', params: {}, timeoutMs: DEFAULT_TIMEOUT_S * 1000 },
  data: { monitor: true, mergePrevious: true, minRows: 200 },
  holdoutFraction: 0.2,
  margin: 0.01,
});

export class TrainingConfig {
  private constructor(private readonly specs: ReadonlyMap<string, TrainingSpec>) {}

  static readonly DEFAULT = new TrainingConfig(new Map());

  /** `baseDir` resolves relative dataset paths (the file's directory when loaded from one). */
  static parse(raw: unknown, where: string, baseDir = process.cwd()): TrainingConfig {
    const entries = Array.isArray(raw) ? raw : isObject(raw) && Array.isArray(raw.models) ? raw.models : undefined;
    if (!entries) throw new Error(`${where}: expected a JSON list of training specs (or {"models": [...]}), each {"model": "<name>" | "*", "trainer": {...}, "data": {...}}`);
    const specs = new Map<string, TrainingSpec>();
    entries.forEach((entry: unknown, i: number) => {
      const spec = parseSpec(entry, `${where}: entry ${i + 1}`, baseDir);
      if (specs.has(spec.model)) throw new Error(`${where}: entry ${i + 1}: model "${spec.model}" has a spec already (entry ${[...specs.keys()].indexOf(spec.model) + 1})`);
      specs.set(spec.model, spec);
    });
    return new TrainingConfig(specs);
  }

  static async load(path: string): Promise<TrainingConfig> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new Error(`--training ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`--training ${path}: not valid JSON (${(err as Error).message})`);
    }
    return TrainingConfig.parse(raw, path, dirname(resolve(path)));
  }

  /** The model's own spec, else the "*" entry, else the built-in default. */
  specFor(model: string): TrainingSpec {
    const spec = this.specs.get(model) ?? this.specs.get('*') ?? DEFAULT_SPEC;
    return spec.model === model ? spec : { ...spec, model };
  }

  /** The specs as given (for logs). */
  get models(): string[] {
    return [...this.specs.keys()];
  }
}

const SPEC_FIELDS = ['model', 'trainer', 'data', 'holdout_fraction', 'margin'];
const DATA_FIELDS = ['monitor', 'dataset', 'merge_previous', 'min_rows', 'max_rows'];

function parseSpec(raw: unknown, at: string, baseDir: string): TrainingSpec {
  if (!isObject(raw)) throw new Error(`${at}: expected an object {"model", "trainer", "data", "holdout_fraction", "margin"}`);
  unknownFields(raw, SPEC_FIELDS, at);
  const model = raw.model;
  if (model !== '*' && modelNameProblem(model)) throw new Error(`${at}: "model" ${JSON.stringify(model)} must be "*" or a model name (${modelNameProblem(model)})`);
  const where = `${at} (model "${model}")`;
  const holdoutFraction = raw.holdout_fraction ?? DEFAULT_SPEC.holdoutFraction;
  if (typeof holdoutFraction !== 'number' || !(holdoutFraction > 0 && holdoutFraction < 1)) throw new Error(`${where}: "holdout_fraction" must be a number between 0 and 1 (exclusive), got ${JSON.stringify(raw.holdout_fraction)}`);
  const margin = raw.margin ?? DEFAULT_SPEC.margin;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0 || margin >= 1) throw new Error(`${where}: "margin" must be an accuracy difference from 0 to 1 (e.g. 0.01), got ${JSON.stringify(raw.margin)}`);
  return deepFreeze({ model: model as string, trainer: parseTrainer(raw.trainer, `${where}: "trainer"`), data: parseData(raw.data, `${where}: "data"`, baseDir), holdoutFraction, margin });
}

function parseTrainer(raw: unknown, at: string): BuiltinTrainerSpec | CommandTrainerSpec {
  if (raw === undefined) return DEFAULT_SPEC.trainer;
  if (!isObject(raw) || (raw.builtin === undefined) === (raw.command === undefined)) {
    throw new Error(`${at} must be either {"builtin": {"algorithm": "logistic" | "mlp", ...}} or {"command": "train --data {data} --out {out}", "timeout_s": N}`);
  }
  const timeoutMs = timeout(raw.timeout_s, `${at}.timeout_s`);
  if (raw.command !== undefined) {
    unknownFields(raw, ['command', 'timeout_s'], at);
    if (typeof raw.command !== 'string' || raw.command.trim() === '') throw new Error(`${at}.command must be a non-empty command line`);
    if (!raw.command.includes('{data}') || !raw.command.includes('{out}')) {
      throw new Error(`${at}.command must contain the {data} and {out} placeholders (the training CSV and the directory to write model.onnx and metrics.json into), got ${JSON.stringify(raw.command)}`);
    }
    return { kind: 'command', command: raw.command, timeoutMs };
  }
  unknownFields(raw, ['builtin', 'timeout_s'], at);
  const builtin = raw.builtin;
  if (!isObject(builtin)) throw new Error(`${at}.builtin must be an object like {"algorithm": "logistic"}`);
  const algorithm = builtin.algorithm ?? 'logistic';
  if (algorithm !== 'logistic' && algorithm !== 'mlp') throw new Error(`${at}.builtin.algorithm must be "logistic" or "mlp", got ${JSON.stringify(builtin.algorithm)}`);
  const known = [...Object.keys(BUILTIN_TRAINER_DEFAULTS), 'classes'];
  unknownFields(builtin, known, `${at}.builtin`);
  const { algorithm: _, ...params } = builtin as Partial<BuiltinTrainerParams>;
  try {
    builtinTrainerParams({ ...params, algorithm });
  } catch (err) {
    throw new Error(`${at}.builtin: ${(err as Error).message}`);
  }
  return { kind: 'builtin', algorithm, params, timeoutMs };
}

function parseData(raw: unknown, at: string, baseDir: string): TrainingDataSpec {
  if (raw === undefined) return DEFAULT_SPEC.data;
  if (!isObject(raw)) throw new Error(`${at} must be an object {"monitor", "dataset", "merge_previous", "min_rows", "max_rows"}`);
  unknownFields(raw, DATA_FIELDS, at);
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'boolean') throw new Error(`${at}.${key} must be true or false, got ${JSON.stringify(raw[key])}`);
    return v;
  };
  const count = (key: string): number | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${at}.${key} must be an integer >= 1, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const data: TrainingDataSpec = { monitor: bool('monitor', true), mergePrevious: bool('merge_previous', true), minRows: count('min_rows') ?? DEFAULT_SPEC.data.minRows };
  if (raw.dataset !== undefined) {
    if (typeof raw.dataset !== 'string' || raw.dataset === '') throw new Error(`${at}.dataset must be the path of a CSV file, got ${JSON.stringify(raw.dataset)}`);
    data.dataset = resolve(baseDir, raw.dataset);
  }
  const maxRows = count('max_rows');
  if (maxRows !== undefined) {
    if (maxRows < data.minRows) throw new Error(`${at}.max_rows (${maxRows}) must be at least min_rows (${data.minRows})`);
    data.maxRows = maxRows;
  }
  return data;
}

function timeout(raw: unknown, at: string): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_S * 1000;
  if (typeof raw !== 'number' || !(raw > 0) || raw > 7 * 24 * 3600) throw new Error(`${at} must be a number of seconds > 0 (at most a week), got ${JSON.stringify(raw)}`);
  return Math.round(raw * 1000);
}

function unknownFields(raw: Record<string, unknown>, known: string[], at: string): void {
  const extra = Object.keys(raw).filter((k) => !known.includes(k));
  if (extra.length) throw new Error(`${at}: unknown field "${extra[0]}" (expected ${known.map((k) => `"${k}"`).join(', ')})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
