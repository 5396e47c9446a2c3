/**
 * A Switchyard child process is ready when it logs "<process> ready" (one JSON line on stderr,
 * carrying the bound ports). Resolves with that entry; rejects with the log's tail when the
 * child exits first or is not ready within `timeoutMs` (then it is killed). Every stderr line
 * goes on into `log` (the last `keep`), for a later look at what the child said.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export function readyEntry(child: ChildProcess, message: string, timeoutMs: number, log: string[] = [], keep = 60): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.off('exit', onExit);
      reject(new Error(`${message.replace(/ ready$/, '')} ${why}:\n${log.join('\n')}`));
    };
    const onExit = (code: number | null, signal: string | null): void => fail(`exited (${signal ?? code}) before it was ready`);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`not ready after ${timeoutMs} ms`);
    }, timeoutMs);
    child.once('exit', onExit);
    const marker = `"${message}"`;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log.push(line);
      if (log.length > keep) log.shift();
      if (!line.includes(marker)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}
