/**
 * The operator verbs' view of the registry API: where it is (`--registry`,
 * SWITCHYARD_REGISTRY, default http://127.0.0.1:8020), which token to send
 * (`--token`, SWITCHYARD_TOKEN), and refusals turned into one clear message.
 */
import { sha256Hex } from '../../models/repository-writer.js';

export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:8020';

export interface OperatorIo {
  stdout(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: OperatorIo = { stdout: (text) => void process.stdout.write(text), env: process.env };

/** The registry answered with an error status: its message, status and code are kept. */
export class RegistryRefusal extends Error {
  override name = 'RegistryRefusal';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class RegistryClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token: string | undefined,
  ) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new Error(`--registry must be a URL like ${DEFAULT_REGISTRY_URL}, got '${baseUrl}'`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
  }

  static from(values: { registry?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv): RegistryClient {
    return new RegistryClient(values.registry ?? env.SWITCHYARD_REGISTRY ?? DEFAULT_REGISTRY_URL, values.token ?? (env.SWITCHYARD_TOKEN || undefined));
  }

  get<T = any>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** A text/plain answer (a job's log), as it came. */
  getText(path: string): Promise<string> {
    return this.request<string>('GET', path, undefined, {}, true);
  }

  send<T = any>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'Content-Type': 'application/json' });
  }

  upload<T = any>(path: string, form: FormData): Promise<T> {
    return this.request<T>('POST', path, form);
  }

  /** Registers a version: the manifest (its sha256 filled in from the bytes when absent) and the ONNX file, as one multipart upload. */
  registerVersion<T = any>(model: string, manifest: Record<string, unknown>, onnx: Uint8Array, fileNames = { manifest: 'manifest.json', model: 'model.onnx' }): Promise<T> {
    const form = new FormData();
    form.append('manifest', new Blob([JSON.stringify({ ...manifest, sha256: manifest.sha256 ?? sha256Hex(onnx) })], { type: 'application/json' }), fileNames.manifest);
    form.append('model', new Blob([onnx as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), fileNames.model);
    return this.upload<T>(modelPath(model, 'versions'), form);
  }

  private async request<T>(method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}, asText = false): Promise<T> {
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the registry at ${this.baseUrl} (${cause?.code ?? cause?.message ?? (err as Error).message}); is \`switchyard registry\` running? (--registry or SWITCHYARD_REGISTRY)`);
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message = parsed?.error ?? (text.slice(0, 200) || res.statusText);
      const hint = res.status === 401 && !this.token ? ' (no token was sent: pass --token or set SWITCHYARD_TOKEN)' : '';
      throw new RegistryRefusal(res.status, parsed?.code, `registry refused ${method} ${path} (${res.status}${parsed?.code ? ` ${parsed.code}` : ''}): ${message}${hint}`);
    }
    return (asText ? text : parsed) as T;
  }
}

export function modelPath(model: string, ...rest: string[]): string {
  return `/api/v1/models/${[model, ...rest].map(encodeURIComponent).join('/')}`;
}
