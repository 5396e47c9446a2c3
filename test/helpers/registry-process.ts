/**
 * `switchyard registry ARGS --port 0` as a process of its own (for tests that kill it): resolves
 * with its URL once the "registry ready" log line (stderr) gives the port; rejects with the log
 * when it exits first or is not ready within 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readyEntry } from '../../loadtest/ready-line.js';

const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export async function startRegistryProcess(args: string[], adminTokens: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'registry', ...args, '--port', '0'], {
    env: { ...process.env, SWITCHYARD_ADMIN_TOKENS: adminTokens, SWITCHYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const { port } = (await readyEntry(child, 'registry ready', 30_000)) as { port: number };
  return { child, url: `http://127.0.0.1:${port}` };
}
