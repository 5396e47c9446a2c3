/**
 * Requests and replies over a MessagePort between two threads: each request
 * carries an id, each reply answers one id. A port whose other end is gone
 * (its thread died or closed it) fails every request still waiting, so a
 * caller never waits for an answer that cannot come. Errors cross as plain
 * `{code, message}` data (an Error subclass arrives as a plain Error).
 */
import type { MessagePort, Transferable } from 'node:worker_threads';
import { SwitchyardError, type ErrorData } from '../../runtime/errors.js';

interface Request<T> {
  id: number;
  body: T;
}

interface Reply<T> {
  id: number;
  value?: T;
  error?: ErrorData;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(err: SwitchyardError): void;
}

/** The asking end. `lost` makes the error every waiting request fails with once the other end is gone. */
export class PortRequester<Body, Answer> {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private gone = false;

  constructor(
    private readonly port: MessagePort,
    private readonly lost: () => SwitchyardError,
  ) {
    port.on('message', (reply: Reply<Answer>) => {
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (reply.error) waiting.reject(SwitchyardError.fromData(reply.error));
      else waiting.resolve(reply.value);
    });
    port.once('close', () => this.fail());
  }

  /** Requests not yet answered. */
  get pending(): number {
    return this.waiting.size;
  }

  /** The other end is gone: requests fail at once. */
  get closed(): boolean {
    return this.gone;
  }

  request(body: Body, transfer: readonly Transferable[] = []): Promise<Answer> {
    if (this.gone) return Promise.reject(this.lost());
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ id, body } satisfies Request<Body>, transfer as Transferable[]);
    });
  }

  /** Closes this end; requests still waiting fail. */
  close(): void {
    this.port.close();
    this.fail();
  }

  private fail(): void {
    if (this.gone) return;
    this.gone = true;
    const err = this.lost();
    for (const waiting of this.waiting.values()) waiting.reject(err);
    this.waiting.clear();
  }
}

export interface Answer<T> {
  value: T;
  transfer?: readonly Transferable[];
}

/** The answering end: each request is handed to `answer`; what it returns or throws goes back. */
export function answerRequests<Body, T>(port: MessagePort, answer: (body: Body) => Answer<T> | Promise<Answer<T>>): void {
  port.on('message', (request: Request<Body>) => {
    const reply = (value: Reply<T>, transfer: readonly Transferable[] = []): void => port.postMessage(value, transfer as Transferable[]);
    let answered: Answer<T> | Promise<Answer<T>>;
    try {
      answered = answer(request.body);
    } catch (err) {
      return reply({ id: request.id, error: errorData(err) });
    }
    if (!(answered instanceof Promise)) return reply({ id: request.id, value: answered.value }, answered.transfer);
    answered.then(
      (a) => reply({ id: request.id, value: a.value }, a.transfer),
      (err: unknown) => reply({ id: request.id, error: errorData(err) }),
    );
  });
}

function errorData(err: unknown): ErrorData {
  if (err instanceof SwitchyardError) return err.toData();
  return { code: 'SY_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
