/**
 * Orders the control plane's changes: changes of one model run one after
 * another (each in the order asked), changes of different models at once,
 * and an exclusive job — bringing a new shard up to date — runs alone:
 * after everything queued before it, before everything queued after.
 */
const settle = (): void => {};

export class ChangeLock {
  private readonly chains = new Map<string, Promise<void>>();
  private exclusive: Promise<void> = Promise.resolve();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const result = Promise.all([this.chains.get(key), this.exclusive]).then(job);
    this.chains.set(key, result.then(settle, settle));
    return result;
  }

  runExclusive<T>(job: () => Promise<T>): Promise<T> {
    const result = Promise.all([...this.chains.values(), this.exclusive]).then(job);
    this.exclusive = result.then(settle, settle);
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  idle(): Promise<void> {
    return this.runExclusive(async () => {});
  }
}
