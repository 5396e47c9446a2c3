/**
 * Directory operations that survive a crash: a rename or a new directory entry
 * is durable only once the parent directory is fsynced. File contents go
 * through `writeFileAtomic` (../repository-writer.ts).
 */
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Atomic rename (also of a directory), then fsync of both parents. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from));
}

/** mkdir -p, fsyncing the parent of every directory it creates. */
export async function mkdirDurable(dir: string): Promise<void> {
  if (await exists(dir)) return;
  await mkdirDurable(dirname(dir));
  await mkdir(dir, { recursive: true });
  await syncDirectory(dirname(dir));
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
