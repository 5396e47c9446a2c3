/** `switchyard models list|show|register|archive`: models and versions in the registry. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../../models/repository-writer.js';
import type { ModelView, VersionView } from '../../models/registry/views.js';
import { aliasSummary, table, trafficSummary } from './format.js';
import { COMMON_HELP, COMMON_OPTIONS, printJson, usageError } from './options.js';
import { modelPath, processIo, RegistryClient, type OperatorIo } from './registry-client.js';

export const MODELS_HELP = `usage: switchyard models <list|show|register|archive> ...

  models list                                   every model: versions, aliases, traffic
  models show MODEL [VERSION]                   a model's versions, or one version's manifest
  models register MODEL FILE.onnx --manifest manifest.json [--version N]
                                                upload a new version (sha256 is filled in from FILE if the manifest has none)
  models archive MODEL VERSION                  retire a version (refused while it takes traffic)

${COMMON_HELP}`;

export async function modelsCommand(argv: string[], io: OperatorIo = processIo): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, manifest: { type: 'string' }, version: { type: 'string' } }, allowPositionals: true, strict: true });
  const [verb, model, arg] = positionals;
  if (values.help || verb === undefined) {
    io.stdout(MODELS_HELP);
    return;
  }
  const client = RegistryClient.from(values, io.env);
  const out = (json: unknown, text: () => string): void => (values.json ? printJson(io.stdout, json) : io.stdout(text()));
  switch (verb) {
    case 'list': {
      const answer = await client.get<{ models: ModelView[]; problems: string[] }>('/api/v1/models');
      out(answer, () => {
        const rows = answer.models.map((m) => {
          const archived = m.versions.filter((v) => v.status === 'archived').length;
          const refused = m.versions.filter((v) => v.status === 'refused').length;
          const extra = [archived ? `${archived} archived` : '', refused ? `${refused} REFUSED` : ''].filter(Boolean).join(', ');
          return [m.name, String(m.revision), `${m.versions.length}${extra ? ` (${extra})` : ''}`, aliasSummary(m.aliases), m.problem ? `BROKEN: ${m.problem}` : trafficSummary(m.traffic, m.aliases)];
        });
        const problems = answer.problems.map((p) => `warning: ${p}\n`).join('');
        return (rows.length ? table(['MODEL', 'REVISION', 'VERSIONS', 'ALIASES', 'TRAFFIC'], rows) : 'no models registered\n') + problems;
      });
      return;
    }
    case 'show': {
      if (!model) throw usageError(MODELS_HELP, 'models show needs a MODEL');
      if (arg !== undefined) {
        const v = await client.get<VersionView>(modelPath(model, 'versions', arg));
        out(v, () => versionText(v));
        return;
      }
      const m = await client.get<ModelView>(modelPath(model));
      out(m, () => modelText(m));
      return;
    }
    case 'register': {
      if (!model || !arg) throw usageError(MODELS_HELP, 'models register needs MODEL and the ONNX FILE');
      if (!values.manifest) throw usageError(MODELS_HELP, 'models register needs --manifest manifest.json (inputs, outputs, batching, lineage)');
      const bytes = await readFile(arg);
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(await readFile(values.manifest, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`cannot read the manifest ${values.manifest}: ${(err as Error).message}`);
      }
      if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new Error(`${values.manifest} must hold a JSON object`);
      manifest.sha256 ??= sha256Hex(bytes);
      if (values.version !== undefined) manifest.version = values.version;
      const answer = await client.registerVersion<{ version: string; model: ModelView }>(model, manifest, bytes, { manifest: basename(values.manifest), model: basename(arg) });
      out(answer, () => `registered ${model} version ${answer.version} (sha256 ${String(manifest.sha256).slice(0, 12)}…, ${bytes.byteLength} bytes)\ntraffic: ${trafficSummary(answer.model.traffic, answer.model.aliases)}   aliases: ${aliasSummary(answer.model.aliases)}\n`);
      return;
    }
    case 'archive': {
      if (!model || !arg) throw usageError(MODELS_HELP, 'models archive needs MODEL and VERSION');
      const answer = await client.send<{ changed: boolean; model: ModelView }>('POST', modelPath(model, 'versions', arg, 'archive'));
      out(answer, () => (answer.changed ? `archived ${model} version ${arg}\n` : `${model} version ${arg} was already archived\n`));
      return;
    }
    default:
      throw usageError(MODELS_HELP, `unknown verb '${verb}' (list, show, register, archive)`);
  }
}

function modelText(m: ModelView): string {
  const head = [
    `model ${m.name}   revision ${m.revision}   last change #${m.seq}`,
    m.problem ? `BROKEN: ${m.problem}` : `traffic: ${trafficSummary(m.traffic, m.aliases)}   sticky header: ${m.traffic?.sticky_header ?? '-'}`,
    `aliases: ${aliasSummary(m.aliases)}`,
    '',
  ].join('\n');
  const rows = m.versions.map((v) => [v.version, v.status, v.weight ? String(v.weight) : '-', v.shadow_percent ? `${v.shadow_percent}%` : '-', v.aliases.join(',') || '-', v.sha256?.slice(0, 12) ?? '-', v.created_at ?? '-']);
  const reasons = m.versions.filter((v) => v.reason).map((v) => `version ${v.version} refused: ${v.reason}\n`).join('');
  return `${head}\n${table(['VERSION', 'STATUS', 'WEIGHT', 'SHADOW', 'ALIASES', 'SHA256', 'CREATED'], rows)}${reasons}`;
}

function versionText(v: VersionView): string {
  const lines = [`model ${v.model} version ${v.version}   ${v.status}${v.reason ? `: ${v.reason}` : ''}`, `weight ${v.weight}   shadow ${v.shadow_percent}%   aliases ${v.aliases.join(', ') || '-'}`];
  const m = v.manifest;
  if (m) {
    lines.push(`sha256 ${m.sha256}`);
    for (const t of m.inputs) lines.push(`input  ${t.name} ${t.datatype} [${t.shape.join(', ')}]`);
    for (const t of m.outputs) lines.push(`output ${t.name} ${t.datatype} [${t.shape.join(', ')}]`);
    lines.push(`batching max ${m.batching.max_batch_size}, delay ${m.batching.max_queue_delay_us} µs   execution ${m.execution.providers.join(',')} x${m.execution.instances}`);
    for (const [k, val] of Object.entries(m.lineage)) lines.push(`lineage.${k} ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`);
  }
  return `${lines.join('\n')}\n`;
}
