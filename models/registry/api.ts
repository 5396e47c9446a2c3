/**
 * The registry's HTTP API under /api/v1: one handler per route, each a thin
 * adapter from HTTP to the store (parse, call, reply). Which scope a route
 * needs is declared in the table at the bottom.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Principal } from './auth.js';
import { AUDIT_PAGE_MAX } from './audit-log.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { parseJson, readBody, sendJson } from './http-io.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { canonicalTarget, requireModelName } from './names.js';
import { Router } from './router.js';
import type { MutationResult, RegistryStore } from './store.js';
import type { WatchHub } from './watch.js';

export interface ApiContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal;
}

export interface ApiDeps {
  store: RegistryStore;
  watch: WatchHub;
  metrics: Registry;
  maxUploadBytes: number;
  maxJsonBytes: number;
}

export type Handler = (ctx: ApiContext) => Promise<void>;

const REGISTER_HINT = 'send multipart/form-data with parts "manifest" (the manifest JSON) and "model" (the ONNX file), e.g. curl -F manifest=@manifest.json -F model=@model.onnx';

export function registryRoutes(deps: ApiDeps): Router<Handler> {
  const { store } = deps;
  const json = async (ctx: ApiContext, what: string): Promise<unknown> => parseJson(await readBody(ctx.req, deps.maxJsonBytes), what);
  const mutated = (ctx: ApiContext, result: MutationResult, status = 200, extra: Record<string, unknown> = {}): void =>
    sendJson(ctx.res, result.changed ? status : 200, { changed: result.changed, seq: result.audit?.seq ?? store.seq, ...extra, model: result.model });

  const register: Handler = async (ctx) => {
    const boundary = multipartBoundary(ctx.req.headers['content-type']);
    if (!boundary) throw new SwitchyardError('SY_ERR_UNSUPPORTED_MEDIA_TYPE', `registering a version takes multipart/form-data, got ${JSON.stringify(ctx.req.headers['content-type'] ?? 'no Content-Type')}: ${REGISTER_HINT}`);
    requireModelName(ctx.params.model!);
    const parts = parseMultipart(await readBody(ctx.req, deps.maxUploadBytes), boundary);
    const manifest = parts.get('manifest');
    const model = parts.get('model');
    if (!manifest || !model) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `missing part "${manifest ? 'model' : 'manifest'}": ${REGISTER_HINT}`);
    const unknown = [...parts.keys()].filter((k) => k !== 'manifest' && k !== 'model');
    if (unknown.length) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `unexpected part(s) ${unknown.map((k) => `"${k}"`).join(', ')}: ${REGISTER_HINT}`);
    const result = await store.register(ctx.principal.actor, ctx.params.model!, parseJson(manifest.data, 'part "manifest"'), model.data);
    mutated(ctx, result, 201, { version: result.audit?.version });
  };

  const downloadModel: Handler = async (ctx) => {
    const file = store.versionFile(ctx.params.model!, ctx.params.version!);
    const { size } = await stat(file.path);
    ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, ETag: `"${file.sha256}"`, 'X-Switchyard-Sha256': file.sha256 });
    if (ctx.req.method === 'HEAD') {
      ctx.res.end();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      createReadStream(file.path).on('error', reject).pipe(ctx.res).on('finish', resolve).on('close', resolve);
    });
  };

  const setAlias: Handler = async (ctx) => {
    const body = await json(ctx, `alias "${ctx.params.alias}"`);
    const version = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).version : undefined;
    const extra = typeof body === 'object' && body !== null ? Object.keys(body).filter((k) => k !== 'version') : [];
    if ((typeof version !== 'string' && typeof version !== 'number') || extra.length) {
      throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `the body must be {"version": "<version number>"}${extra.length ? ` (unknown field "${extra[0]}")` : ''}`);
    }
    mutated(ctx, await store.setAlias(ctx.principal.actor, ctx.params.model!, ctx.params.alias!, canonicalTarget(String(version))));
  };

  const audit: Handler = async (ctx) => {
    const int = (key: string, min: number, max: number): number | undefined => {
      const raw = ctx.query.get(key);
      if (raw === null || raw === '') return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `query "${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return n;
    };
    const model = ctx.query.get('model') ?? undefined;
    if (model !== undefined) requireModelName(model);
    const query = { since: int('since', 0, Number.MAX_SAFE_INTEGER), limit: int('limit', 1, AUDIT_PAGE_MAX), model };
    sendJson(ctx.res, 200, await store.audit.read(query));
  };

  const watch: Handler = async (ctx) => {
    const raw = ctx.query.get('since') ?? ctx.req.headers['last-event-id'];
    const since = raw === undefined || raw === '' ? undefined : Number(raw);
    if (since !== undefined && !(Number.isInteger(since) && since >= 0)) throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `"since" must be a seq (an integer >= 0), got ${JSON.stringify(raw)}`);
    deps.watch.attach(ctx.req, ctx.res, since);
  };

  return new Router<Handler>()
    .add('GET', '/healthz', undefined, async ({ res }) => sendJson(res, 200, { status: 'ok', seq: store.seq }))
    .add('GET', '/metrics', undefined, async ({ res }) => {
      res.writeHead(200, { 'Content-Type': deps.metrics.contentType }).end(await deps.metrics.metrics());
    })
    .add('GET', '/api/v1/models', 'read', async ({ res }) => sendJson(res, 200, { seq: store.seq, models: store.listModels(), problems: store.problems }))
    .add('GET', '/api/v1/models/:model', 'read', async ({ res, params }) => sendJson(res, 200, store.model(params.model!)))
    .add('GET', '/api/v1/models/:model/versions', 'read', async ({ res, params }) => sendJson(res, 200, { model: params.model, versions: store.model(params.model!).versions }))
    .add('POST', '/api/v1/models/:model/versions', 'admin', register)
    .add('GET', '/api/v1/models/:model/versions/:version', 'read', async ({ res, params }) => sendJson(res, 200, store.version(params.model!, params.version!)))
    .add('GET', '/api/v1/models/:model/versions/:version/model.onnx', 'read', downloadModel)
    .add('POST', '/api/v1/models/:model/versions/:version/archive', 'admin', async (ctx) => mutated(ctx, await store.archive(ctx.principal.actor, ctx.params.model!, ctx.params.version!)))
    .add('GET', '/api/v1/models/:model/aliases', 'read', async ({ res, params }) => sendJson(res, 200, { model: params.model, aliases: store.model(params.model!).aliases }))
    .add('GET', '/api/v1/models/:model/aliases/:alias', 'read', async ({ res, params }) => {
      const version = store.model(params.model!).aliases[params.alias!];
      if (version === undefined) throw new SwitchyardError('SY_ERR_ALIAS_NOT_FOUND', `model '${params.model}' has no alias "${params.alias}"`);
      sendJson(res, 200, { model: params.model, alias: params.alias, version });
    })
    .add('PUT', '/api/v1/models/:model/aliases/:alias', 'admin', setAlias)
    .add('DELETE', '/api/v1/models/:model/aliases/:alias', 'admin', async (ctx) => mutated(ctx, await store.deleteAlias(ctx.principal.actor, ctx.params.model!, ctx.params.alias!)))
    .add('GET', '/api/v1/models/:model/traffic', 'read', async ({ res, params }) => {
      const { traffic } = store.model(params.model!);
      if (!traffic) throw new SwitchyardError('SY_ERR_MODEL_STATE_BROKEN', `model '${params.model}' has no traffic policy yet (no servable version)`);
      sendJson(res, 200, traffic);
    })
    .add('PUT', '/api/v1/models/:model/traffic', 'admin', async (ctx) => {
      const body = await json(ctx, `traffic policy of '${ctx.params.model}'`);
      const result = await store.putTraffic(ctx.principal.actor, ctx.params.model!, body);
      mutated(ctx, result, 200, { traffic: result.model.traffic });
    })
    .add('GET', '/api/v1/audit', 'read', audit)
    .add('GET', '/api/v1/watch', 'read', watch);
}
