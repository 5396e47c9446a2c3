/**
 * Matches `METHOD /path` against route patterns like `/api/v1/models/:model`.
 * Path segments are percent-decoded one by one; "." and ".." segments (also
 * as %2e%2e) and segments holding "/" or "\" after decoding are refused with
 * 400 before any route is consulted, so no name can walk out of its directory.
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { Scope } from './auth.js';

export interface Route<H> {
  method: string;
  pattern: string;
  /** Who may call it: undefined for open endpoints (health, metrics). */
  scope: Scope | undefined;
  handler: H;
}

export interface RouteMatch<H> {
  route: Route<H>;
  params: Record<string, string>;
  query: URLSearchParams;
}

export class Router<H> {
  private readonly routes: { route: Route<H>; segments: string[] }[] = [];

  add(method: string, pattern: string, scope: Scope | undefined, handler: H): this {
    this.routes.push({ route: { method, pattern, scope, handler }, segments: pattern.split('/').slice(1) });
    return this;
  }

  /** Throws 400 for a bad path, 404 when no pattern fits, 405 (with the allowed methods) when only the method is wrong. */
  match(method: string, rawUrl: string): RouteMatch<H> {
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    if (!path.startsWith('/')) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `request target must be a path starting with "/", got ${JSON.stringify(rawUrl.slice(0, 100))}`);
    const segments = path.split('/').slice(1).map(decodeSegment);
    const allowed: string[] = [];
    for (const { route, segments: pattern } of this.routes) {
      const params = bind(pattern, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params, query };
      allowed.push(route.method);
    }
    if (allowed.length) {
      const error = new SwitchyardError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`);
      throw Object.assign(error, { allow: allowed.join(', ') });
    }
    throw new SwitchyardError('SY_ERR_ROUTE_NOT_FOUND', `no endpoint ${method} ${path.slice(0, 200)}; the API lives under /api/v1 (models, audit, watch)`);
  }
}

function decodeSegment(raw: string): string {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    throw new SwitchyardError('SY_ERR_INVALID_NAME', `path segment ${JSON.stringify(raw.slice(0, 100))} is not valid percent-encoding`);
  }
  if (segment === '.' || segment === '..') throw new SwitchyardError('SY_ERR_INVALID_NAME', `path segment ${JSON.stringify(raw)} is not allowed: names never contain "." or ".." path steps`);
  if (/[/\\\0]/.test(segment)) throw new SwitchyardError('SY_ERR_INVALID_NAME', `path segment ${JSON.stringify(raw.slice(0, 100))} decodes to a name with "/", "\\" or NUL, which no model, version or alias may contain`);
  return segment;
}

function bind(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = segments[i]!;
    else if (p !== segments[i]) return undefined;
  }
  return params;
}
