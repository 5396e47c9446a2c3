/**
 * `switchyard registry ARGS` as its own process, for the crash test, until
 * cli/main.ts registers the command: the same entry point, minus the dispatch.
 * The "registry ready" log line (stderr) carries the port.
 */
import { registryCommand } from '../../../cli/registry-command.js';

registryCommand(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`switchyard registry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
