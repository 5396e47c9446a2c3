/** Request bodies with a size limit, JSON replies and `{"error", "code"}` error replies for the registry's node:http server. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asSwitchyardError, httpStatusOf, SwitchyardError } from '../../runtime/errors.js';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  const tooLarge = (size: string): SwitchyardError => new SwitchyardError('SY_ERR_BODY_TOO_LARGE', `request body of ${size} bytes exceeds the limit of ${limit} bytes`);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(String(declared)));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > limit) {
        failed = true;
        reject(tooLarge(`more than ${limit}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}

export function parseJson(body: Buffer, what: string): unknown {
  if (body.byteLength === 0) throw new SwitchyardError('SY_ERR_INVALID_JSON', `${what}: the request body is empty; send a JSON object`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new SwitchyardError('SY_ERR_INVALID_JSON', `${what}: the body is not valid JSON (${(err as Error).message})`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers }).end(text);
}

export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): number {
  const e = asSwitchyardError(err);
  if (e.kind === 'unauthenticated') headers['WWW-Authenticate'] = 'Bearer realm="switchyard-registry"';
  if (res.headersSent) {
    res.destroy();
  } else {
    sendJson(res, httpStatusOf(e.kind), { error: e.message, code: e.code }, headers);
  }
  return httpStatusOf(e.kind);
}
