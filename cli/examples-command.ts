/** `switchyard examples DIR`: write the bundled example models (deterministic) into a model repository. */
import { writeExampleRepository } from '../models/examples.js';

export async function examplesCommand(argv: string[]): Promise<void> {
  const [dir] = argv;
  if (!dir || dir.startsWith('-')) throw new Error('usage: switchyard examples DIR');
  await writeExampleRepository(dir);
  process.stdout.write(`example models written to ${dir}\n`);
}
