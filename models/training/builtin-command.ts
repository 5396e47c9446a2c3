/**
 * The built-in trainer as a trainer command (`switchyard train-builtin`), so the training
 * runner spawns every trainer the same way. The flag names live here, once: the CLI parses them
 * and `builtinTrainerCommand` writes them.
 */
import { fileURLToPath } from 'node:url';
import type { BuiltinTrainerParams } from './builtin-trainer.js';
import { shellQuote } from './command-trainer.js';

export interface BuiltinCommandParams extends Partial<BuiltinTrainerParams> {
  /** ONNX graph input name (default "features"). */
  input_name?: string;
  /** ONNX graph output name (default "probabilities"). */
  output_name?: string;
}

export const BUILTIN_INPUT_NAME = 'features';
export const BUILTIN_OUTPUT_NAME = 'probabilities';

/** Parameter → command-line flag of `switchyard train-builtin`. */
export const BUILTIN_FLAGS: Readonly<Record<keyof BuiltinCommandParams, string>> = Object.freeze({
  algorithm: 'algorithm',
  epochs: 'epochs',
  hidden: 'hidden',
  batch_size: 'batch-size',
  learning_rate: 'learning-rate',
  l2: 'l2',
  seed: 'seed',
  classes: 'classes',
  input_name: 'input-name',
  output_name: 'output-name',
});

// Resolved from the compiled file, dist/models/training/builtin-command.js, to dist/cli/main.js.
const CLI_MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** `<node> <dist/cli/main.js> train-builtin --data {data} --out {out} [--flag value]...`, for runTrainerCommand. */
export function builtinTrainerCommand(params: BuiltinCommandParams = {}): string {
  const words = [shellQuote(process.execPath), shellQuote(CLI_MAIN), 'train-builtin', '--data', '{data}', '--out', '{out}'];
  for (const [key, flag] of Object.entries(BUILTIN_FLAGS) as [keyof BuiltinCommandParams, string][]) {
    const value = params[key];
    if (value !== undefined) words.push(`--${flag}`, shellQuote(String(value)));
  }
  return words.join(' ');
}
