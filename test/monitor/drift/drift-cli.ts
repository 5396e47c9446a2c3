/**
 * `node dist/test/monitor/drift/drift-cli.js ARGS` runs `driftCommand` the way cli/main.ts runs a
 * command (message on stderr, exit 1 on error), for the end-to-end test until and besides
 * `switchyard drift` being registered in cli/main.ts.
 */
import { driftCommand } from '../../../cli/drift-command.js';

driftCommand(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`switchyard drift: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
