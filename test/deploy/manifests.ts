/**
 * The Kubernetes manifests of deploy/kubernetes and two validations against the Kubernetes
 * OpenAPI schema as the `kubernetes-models` package ships it (the prometheus-operator CRD schema
 * from `@kubernetes-models/prometheus-operator` for ServiceMonitor):
 *  - `schemaErrors`: the package's JSON-schema validators (Ajv, compiled from the OpenAPI spec):
 *    types, required fields, enums, patterns, formats;
 *  - `unknownFieldErrors`: what those validators let through, like kubectl's strict field
 *    validation: fields the schema does not have (a misspelt `readinesProbe`), found by
 *    type-checking each manifest as an object literal against the package's generated types.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './dashboard.js';

export const MANIFEST_DIR = `${REPO_ROOT}deploy/kubernetes`;

/** A parsed manifest; `where` is file#document. */
export interface Manifest {
  where: string;
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
}

/** The kustomization and every YAML document of the files it lists; throws on YAML errors or warnings. */
export function loadManifests(dir = MANIFEST_DIR): { kustomization: { resources: string[]; [k: string]: unknown }; files: string[]; manifests: Manifest[] } {
  const parse = (file: string): unknown[] => {
    const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'), { prettyErrors: true });
    return docs.map((doc, i) => {
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length > 0) throw new Error(`${file}#${i}: ${problems.map((p) => p.message).join('; ')}`);
      return doc.toJS();
    });
  };
  const [kustomization] = parse('kustomization.yaml') as Array<{ resources: string[] }>;
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  const manifests = (kustomization.resources ?? []).flatMap((file) =>
    parse(file)
      .filter((doc) => doc !== null)
      .map((doc, i) => ({ where: `${file}#${i}`, ...(doc as Omit<Manifest, 'where'>) })),
  );
  return { kustomization, files, manifests };
}

/** The package module and interface describing apiVersion/kind. */
export function modelModule(apiVersion: string, kind: string): { module: string; type: string } {
  if (apiVersion === 'monitoring.coreos.com/v1') return { module: `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`, type: `I${kind}` };
  if (!/^([a-z0-9.]+\/)?v\d+(alpha\d+|beta\d+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) throw new Error(`not a Kubernetes apiVersion/kind: ${apiVersion} ${kind}`);
  return { module: `kubernetes-models/${apiVersion}/${kind}`, type: `I${kind}` };
}

/** Schema errors of one manifest ([] when valid); an apiVersion/kind the packages do not know is an error too. */
export async function schemaErrors(manifest: Manifest): Promise<string[]> {
  const { where, ...object } = manifest;
  let Model: new (data: unknown) => { validate(): void };
  try {
    const { module } = modelModule(object.apiVersion, object.kind);
    Model = (await import(module))[object.kind];
    if (typeof Model !== 'function') throw new Error(`${module} exports no ${object.kind}`);
  } catch (err) {
    return [`${where}: unknown apiVersion/kind ${object.apiVersion} ${object.kind} (${(err as Error).message.split('\n')[0]})`];
  }
  try {
    new Model(structuredClone(object)).validate();
    return [];
  } catch (err) {
    return [`${where} (${object.kind} ${object.metadata?.name}): ${(err as Error).message}`];
  }
}

/**
 * Fields of each manifest that its schema type does not declare, by manifest: one `tsc` run over
 * a generated file in which each manifest is an object literal typed with its interface.
 */
export async function unknownFieldErrors(manifests: Manifest[]): Promise<Map<string, string[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-manifests-'));
  try {
    await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const lines: string[] = [];
    manifests.forEach((m, i) => {
      const { where: _where, ...object } = m;
      const { module, type } = modelModule(m.apiVersion, m.kind);
      lines.push(`import type { ${type} as T${i} } from ${JSON.stringify(module)};`);
      lines.push(`export const m${i}: T${i} = ${JSON.stringify(object, null, 1).replace(/\n/g, ' ')};`);
    });
    await writeFile(join(dir, 'manifests.ts'), lines.join('\n') + '\n');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: true, types: [] }, files: ['manifests.ts'] }),
    );
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8', timeout: 60_000 });
    if (run.error) throw run.error;
    const out = `${run.stdout}${run.stderr}`;
    const errors = new Map<string, string[]>();
    for (const line of out.split('\n')) {
      const m = /manifests\.ts\((\d+),\d+\): error (TS\d+: .*)$/.exec(line.trim());
      if (!m) continue;
      const index = Math.floor((Number(m[1]) - 1) / 2);
      const where = manifests[index]?.where ?? `line ${m[1]}`;
      errors.set(where, [...(errors.get(where) ?? []), m[2]]);
    }
    if (run.status !== 0 && errors.size === 0) throw new Error(`tsc exited ${run.status} without a diagnostic on a manifest:\n${out}`);
    return errors;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
