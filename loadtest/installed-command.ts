/** Whether an external program (wrk, h2load) is on the PATH: the benchmarks fall back to the Node load client without it. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function commandInstalled(command: string): Promise<boolean> {
  // Some print their version with a non-zero exit (wrk): only a missing program counts as absent.
  return run(command, ['--version']).then(
    () => true,
    (err: { code?: unknown }) => err.code !== 'ENOENT',
  );
}
