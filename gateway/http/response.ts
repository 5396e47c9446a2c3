/** Writing uWS responses safely: corked, skipped when the client has gone, errors as `{"error": ...}`. */
import { httpStatusOf, type SwitchyardError } from '../../runtime/errors.js';
import { ANSWER_ROLE_HEADER, ANSWER_VERSION_HEADER } from '../inference/routing-headers.js';
import type { EncodedHttpInfer } from './infer-codec.js';
import type { HttpResponse } from './uws.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

export interface Reply {
  /** Set by the onAborted handler; a gone client is never written to. */
  aborted: boolean;
}

export function send(res: HttpResponse, reply: Reply, status: number, body: string | Uint8Array, headers: Record<string, string> = {}, close = false): void {
  if (reply.aborted) return;
  reply.aborted = true; // a response is written once
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[status] ?? `${status} Unknown`);
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    res.end(body, close);
  });
}

/** Header names and values every inference answer carries, as bytes once (uWS converts strings on every write). */
const OK = Buffer.from('200 OK');
const CONTENT_TYPE = Buffer.from('Content-Type');
const JSON_TYPE = Buffer.from('application/json');
const BINARY_TYPE = Buffer.from('application/octet-stream');
const INFERENCE_HEADER_LENGTH = Buffer.from('Inference-Header-Content-Length');
const ANSWER_VERSION = Buffer.from(ANSWER_VERSION_HEADER);
const ANSWER_ROLE = Buffer.from(ANSWER_ROLE_HEADER);

/** A 200 inference answer: the answering version and role, JSON or binary-extension body. */
export function sendInferAnswer(res: HttpResponse, reply: Reply, version: string, role: string, encoded: EncodedHttpInfer): void {
  if (reply.aborted) return;
  reply.aborted = true;
  res.cork(() => {
    res.writeStatus(OK);
    res.writeHeader(ANSWER_VERSION, version);
    res.writeHeader(ANSWER_ROLE, role);
    if (encoded.headerLength === undefined) res.writeHeader(CONTENT_TYPE, JSON_TYPE);
    else {
      res.writeHeader(CONTENT_TYPE, BINARY_TYPE);
      res.writeHeader(INFERENCE_HEADER_LENGTH, String(encoded.headerLength));
    }
    res.end(encoded.body);
  });
}

export function sendJson(res: HttpResponse, reply: Reply, status: number, value: unknown): void {
  send(res, reply, status, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

/** `close`: the connection goes with the answer (a request body was left unread). */
export function sendError(res: HttpResponse, reply: Reply, err: SwitchyardError, extraHeaders: Record<string, string> = {}, close = false): void {
  const status = httpStatusOf(err.kind);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...extraHeaders };
  if (status === 429) headers['Retry-After'] = '1';
  send(res, reply, status, JSON.stringify({ error: err.message }), headers, close);
}
