/**
 * A `multipart/form-data` body (what `curl -F manifest=@manifest.json -F
 * model=@model.onnx` sends) split into named parts. Binary-safe; the whole
 * body is already in memory, bounded by the upload limit.
 */
import { SwitchyardError } from '../../runtime/errors.js';

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function parseMultipart(body: Buffer, boundary: string): Map<string, FormPart> {
  const fail = (what: string): never => {
    throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `multipart body: ${what}`);
  };
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.concat([CRLF, delimiter]);
  const parts = new Map<string, FormPart>();
  let at = body.indexOf(delimiter);
  if (at < 0) fail(`boundary "${boundary}" not found`);
  for (;;) {
    at += delimiter.byteLength;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // "--": the closing delimiter
    if (!body.subarray(at, at + 2).equals(CRLF)) fail('a boundary line must end with CRLF');
    const headerEnd = body.indexOf(HEADER_END, at + 2);
    if (headerEnd < 0) fail('a part has no blank line after its headers');
    const headers = parseHeaders(body.subarray(at + 2, headerEnd).toString('utf8'));
    const next = body.indexOf(separator, headerEnd + 4);
    if (next < 0) fail('the body ends before the closing boundary (truncated upload?)');
    const disposition = headers.get('content-disposition') ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (!/^form-data/i.test(disposition) || name === undefined) fail('every part needs "Content-Disposition: form-data; name=..."');
    if (parts.has(name!)) fail(`part "${name}" appears twice`);
    const part: FormPart = { name: name!, data: body.subarray(headerEnd + 4, next) };
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) part.filename = filename;
    const type = headers.get('content-type');
    if (type !== undefined) part.contentType = type;
    parts.set(name!, part);
    at = next + CRLF.byteLength;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}
