/** `switchyard alias set|delete|list`: point a name (stable, canary, ...) at a version. */
import { parseArgs } from 'node:util';
import type { ModelView } from '../../models/registry/views.js';
import { aliasSummary, table } from './format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { modelPath, processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const ALIAS_HELP = `usage: switchyard alias <set|delete|list> MODEL [ALIAS] [VERSION]

  alias set MODEL ALIAS VERSION     point ALIAS at VERSION ("3" or "v3")
  alias delete MODEL ALIAS          refused while the traffic policy uses the alias
  alias list MODEL

${COMMON_HELP}`;

export async function aliasCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON_OPTIONS, allowPositionals: true, strict: true });
  const [verb, model, alias, version] = positionals;
  if (values.help || verb === undefined) {
    io.stdout(ALIAS_HELP);
    return;
  }
  if (!model) throw usageError(ALIAS_HELP, `alias ${verb} needs a MODEL`);
  const client = RegistryClient.from(values, io.env);
  const out = (json: unknown, text: string): void => (values.json ? printJson(io.stdout, json) : io.stdout(text));
  switch (verb) {
    case 'set': {
      if (!alias || !version) throw usageError(ALIAS_HELP, 'alias set needs MODEL ALIAS VERSION');
      const answer = await client.send<{ changed: boolean; model: ModelView }>('PUT', modelPath(model, 'aliases', alias), { version });
      out(answer, answer.changed ? `${model}: alias ${alias} → version ${answer.model.aliases[alias]}\n` : `${model}: alias ${alias} already points at version ${answer.model.aliases[alias]}\n`);
      return;
    }
    case 'delete': {
      if (!alias) throw usageError(ALIAS_HELP, 'alias delete needs MODEL ALIAS');
      const answer = await client.send<{ changed: boolean; model: ModelView }>('DELETE', modelPath(model, 'aliases', alias));
      out(answer, `${model}: alias ${alias} deleted; aliases now ${aliasSummary(answer.model.aliases)}\n`);
      return;
    }
    case 'list': {
      const answer = await client.get<{ aliases: Record<string, string> }>(modelPath(model, 'aliases'));
      const rows = Object.entries(answer.aliases).sort(([a], [b]) => a.localeCompare(b)).map(([a, v]) => [a, v]);
      out(answer, rows.length ? table(['ALIAS', 'VERSION'], rows) : `${model} has no aliases\n`);
      return;
    }
    default:
      throw usageError(ALIAS_HELP, `unknown verb '${verb}' (set, delete, list)`);
  }
}
