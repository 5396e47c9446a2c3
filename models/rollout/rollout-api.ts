/**
 * The rollout routes of the registry API, mounted beside the others:
 *   GET  /api/v1/models/:model/rollout                      the latest rollout (read)
 *   POST /api/v1/models/:model/rollout {"version": "3"}     start one by hand (admin)
 *   POST /api/v1/models/:model/rollout/pause|resume|promote|abort   (admin)
 */
import { SwitchyardError } from '../../runtime/errors.js';
import type { ApiContext, Handler } from '../registry/api.js';
import { parseJson, readBody, sendJson } from '../registry/http-io.js';
import { canonicalTarget } from '../registry/names.js';
import type { Router } from '../registry/router.js';
import type { RolloutController } from './rollout-controller.js';

export function addRolloutRoutes(router: Router<Handler>, controller: RolloutController, maxJsonBytes: number): Router<Handler> {
  const path = '/api/v1/models/:model/rollout';
  const show: Handler = async ({ res, params }) => {
    const model = params.model!;
    const r = controller.get(model);
    if (!r) {
      controller.store.model(model); // 404 names an unknown model first
      throw new SwitchyardError('SY_ERR_ROLLOUT_NOT_FOUND', `model '${model}' has had no rollout yet; start one with POST ${path.replace(':model', model)} {"version": "<n>"} (switchyard rollout start ${model} <version>)`);
    }
    sendJson(res, 200, r);
  };
  const start: Handler = async (ctx) => {
    const body = parseJson(await readBody(ctx.req, maxJsonBytes), `rollout of '${ctx.params.model}'`);
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const version = fields?.version;
    const extra = fields ? Object.keys(fields).filter((k) => k !== 'version') : [];
    if ((typeof version !== 'string' && typeof version !== 'number') || extra.length) {
      throw new SwitchyardError('SY_ERR_INVALID_REQUEST', `the body must be {"version": "<version number>"}${extra.length ? ` (unknown field "${extra[0]}")` : ''}`);
    }
    const result = await controller.startRollout(ctx.params.model!, canonicalTarget(String(version)), { actor: ctx.principal.actor });
    sendJson(ctx.res, 201, result);
  };
  const action = (run: (model: string, actor: string) => Promise<unknown>): Handler => async (ctx: ApiContext) => {
    sendJson(ctx.res, 200, { rollout: await run(ctx.params.model!, ctx.principal.actor) });
  };
  return router
    .add('GET', path, 'read', show)
    .add('POST', path, 'admin', start)
    .add('POST', `${path}/pause`, 'admin', action((m, a) => controller.pause(m, a)))
    .add('POST', `${path}/resume`, 'admin', action((m, a) => controller.resume(m, a)))
    .add('POST', `${path}/promote`, 'admin', action((m, a) => controller.promote(m, a)))
    .add('POST', `${path}/abort`, 'admin', action((m, a) => controller.abort(m, a)));
}
