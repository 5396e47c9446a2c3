/**
 * `switchyard registry ARGS --port 0` as a process of its own (for tests that kill it): resolves
 * with its URL once the "registry ready" log line (stderr) gives the port; rejects with the log
 * when it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export async function startRegistryProcess(args: string[], adminTokens: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'registry', ...args, '--port', '0'], {
    env: { ...process.env, SWITCHYARD_ADMIN_TOKENS: adminTokens, SWITCHYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('"registry ready"')) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`registry process exited (${code}) before listening:\n${lines.join('\n')}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}
