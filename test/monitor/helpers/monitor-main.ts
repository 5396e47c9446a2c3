/** `switchyard monitor` as its own process, for tests (cli/main.ts registers the same function). */
import { monitorCommand } from '../../../cli/monitor-command.js';

monitorCommand(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`switchyard monitor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
