/**
 * A real registry for tests: temp data dir, port 0 on 127.0.0.1, an admin
 * ("alice") and a read-only ("reader") token. Requests go through node:http so
 * that paths reach the server exactly as written (fetch would normalise "..").
 */
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { RegistryConfig } from '../../../models/registry/config.js';
import { RegistryService } from '../../../models/registry/registry-service.js';
import { sha256Hex } from '../../../models/repository-writer.js';
import { mulberry32 } from '../../../models/examples.js';
import { createLogger } from '../../../runtime/log.js';

export const ADMIN_TOKEN = 'admin-token-aaaaaaaaaaaaaaaa';
export const READ_TOKEN = 'read-token-bbbbbbbbbbbbbbbbbb';
export const TOKENS = { admin: [{ actor: 'alice', token: ADMIN_TOKEN }], read: [{ actor: 'reader', token: READ_TOKEN }], anonymousReads: false };

export const quietLog = createLogger({ component: 'registry' }, process.env.SWITCHYARD_LOG_LEVEL ? undefined : 'error');

export interface TestRegistry {
  service: RegistryService;
  url: string;
  dataDir: string;
  /** Closes the service if still open (keeping the data dir) and starts a new one on it. */
  restart(): Promise<TestRegistry>;
  stop(): Promise<void>;
}

/** Without `dataDir`, a temp dir that `stop()` removes (also after restarts). */
export async function startTestRegistry(config: Partial<RegistryConfig> = {}, dataDir?: string, owned = dataDir === undefined): Promise<TestRegistry> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'switchyard-registry-')));
  const service = await RegistryService.start({ port: 0, tokens: TOKENS, ...config, dataDir: dir }, quietLog, new Registry());
  return {
    service,
    url: service.url,
    dataDir: dir,
    restart: async () => {
      await service.close();
      return startTestRegistry(config, dir, owned);
    },
    stop: async () => {
      await service.close();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic stand-in bytes (the registry stores, hashes and serves them; it does not run them). */
export function fakeOnnx(seed: number, size = 256): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
}

export function manifestFor(bytes: Uint8Array, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sha256: sha256Hex(bytes),
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 8] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    ...extra,
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  raw: Buffer;
}

/** One HTTP request with the path sent verbatim. `body` objects are sent as JSON. */
export function call(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = new URL(base);
  const payload = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (payload) headers['content-length'] = String(payload.byteLength);
  if (payload && !headers['content-type']) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        let body: unknown = raw.toString('utf8');
        if (String(res.headers['content-type'] ?? '').startsWith('application/json')) body = JSON.parse(raw.toString('utf8'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, raw });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A multipart register request, built by hand so tests control every byte. */
export function multipartBody(parts: { name: string; filename?: string; type?: string; data: Uint8Array | string }[]): { body: Buffer; contentType: string } {
  const boundary = `----switchyard-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** `token: null` sends no Authorization header. */
export function register(base: string, model: string, bytes: Uint8Array, manifest: unknown, token: string | null = ADMIN_TOKEN): Promise<Reply> {
  const { body, contentType } = multipartBody([
    { name: 'manifest', filename: 'manifest.json', type: 'application/json', data: JSON.stringify(manifest) },
    { name: 'model', filename: 'model.onnx', type: 'application/octet-stream', data: bytes },
  ]);
  return call(base, 'POST', `/api/v1/models/${model}/versions`, token === null ? { body, headers: { 'content-type': contentType } } : { token, body, headers: { 'content-type': contentType } });
}

/** Every file under `dir` with its sha256: two equal snapshots mean nothing on disk changed. */
export async function diskSnapshot(dir: string): Promise<Record<string, string>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: Record<string, string> = {};
  const walk = async (at: string, rel: string): Promise<void> => {
    for (const e of await readdir(at, { withFileTypes: true })) {
      const path = join(at, e.name);
      if (e.isDirectory()) await walk(path, `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = sha256Hex(await readFile(path));
    }
  };
  await walk(dir, '');
  return out;
}

/** Registers `count` versions of `model` (seeds 1..count) and returns their bytes by version. */
export async function seedVersions(base: string, model: string, count: number): Promise<Map<string, Uint8Array>> {
  const versions = new Map<string, Uint8Array>();
  for (let i = 1; i <= count; i++) {
    const bytes = fakeOnnx(i * 7919 + model.length);
    const reply = await register(base, model, bytes, manifestFor(bytes));
    if (reply.status !== 201) throw new Error(`seeding ${model}: ${reply.status} ${JSON.stringify(reply.body)}`);
    versions.set(reply.body.version, bytes);
  }
  return versions;
}
