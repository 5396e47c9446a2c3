/** Runs raw-ort-main.ts in a child process on the given CPUs and returns its result. */
import { fileURLToPath } from 'node:url';
import type { RawOrtChildOptions } from './raw-ort-main.js';
import type { RawOrtResult } from './raw-ort.js';
import { spawnNode, stopChild } from './spawn-node.js';

const MAIN = fileURLToPath(new URL('./raw-ort-main.js', import.meta.url));

export function runRawOrtProcess(options: RawOrtChildOptions, cpus: string | undefined, timeoutMs: number): Promise<RawOrtResult> {
  const child = spawnNode(MAIN, [JSON.stringify(options)], { cpus, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child, 1_000);
      reject(new Error(`raw ORT measurement did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`raw ORT measurement failed (exit ${code}):\n${err}`));
      try {
        resolve(JSON.parse(out) as RawOrtResult);
      } catch {
        reject(new Error(`raw ORT measurement printed no result:\n${out}\n${err}`));
      }
    });
  });
}
