/** Waiting in tests for something that happens asynchronously, bounded in time. */

/**
 * Calls `check` every `everyMs` until it returns a value other than undefined; a
 * throwing check counts as "not yet". Fails naming `what` (and the last error) after `timeoutMs`.
 */
export async function eventually<T>(what: string | (() => string), check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(what: string | (() => string), condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  await eventually(what, async () => ((await condition()) ? true : undefined), timeoutMs, everyMs);
}
