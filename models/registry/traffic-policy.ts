/**
 * A model's traffic policy: weighted variants (a version or an alias → weight,
 * summing to 100), shadow targets mirrored at a percentage, and the header
 * whose value pins a caller to a variant. The registry validates it on every
 * change; the gateway imports the type and `parseTrafficPolicy` to trust what
 * it receives.
 */
import { aliasProblem, canonicalTarget, isVersionTarget } from './names.js';

export const DEFAULT_STICKY_HEADER = 'x-switchyard-key';
export const MAX_VARIANTS = 32;

export interface TrafficVariant {
  /** A version number ("3") or an alias ("stable"), resolved by the gateway at routing time. */
  target: string;
  /** Integer share of live traffic, 0-100; the weights of a policy sum to 100. */
  weight: number;
}

export interface ShadowTarget {
  target: string;
  /** Integer percentage of live requests mirrored to the target, 1-100. Its answers are never returned. */
  percent: number;
}

export interface TrafficPolicy {
  model: string;
  /** The model's revision when this policy was written; grows with every change of the model. */
  revision: number;
  variants: TrafficVariant[];
  shadow: ShadowTarget[];
  sticky_header: string;
}

/** What an operator sends: the policy without bookkeeping; `revision`, if given, must match the current one. */
export interface TrafficPolicyInput {
  variants: TrafficVariant[];
  shadow: ShadowTarget[];
  sticky_header: string;
  expected_revision?: number;
}

export class TrafficPolicyError extends Error {
  override name = 'TrafficPolicyError';
}

/** What a policy's targets are checked against. */
export interface TargetCatalog {
  aliases: Readonly<Record<string, string>>;
  /** 'ready' versions may take traffic; undefined means no such version. */
  statusOf(version: string): 'ready' | 'archived' | 'refused' | undefined;
  describeVersions(): string;
}

const HEADER_TOKEN = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const INPUT_KEYS = new Set(['model', 'revision', 'variants', 'shadow', 'sticky_header']);

export function defaultTrafficPolicy(model: string, version: string, revision: number): TrafficPolicy {
  return { model, revision, variants: [{ target: version, weight: 100 }], shadow: [], sticky_header: DEFAULT_STICKY_HEADER };
}

/** Validates the shape of an operator's policy (not its targets: see `checkTrafficTargets`). */
export function parseTrafficPolicyInput(raw: unknown, model: string): TrafficPolicyInput {
  const fail = (what: string): never => {
    throw new TrafficPolicyError(`traffic policy of model '${model}': ${what}`);
  };
  if (!isObject(raw)) fail('must be a JSON object with "variants" (and optionally "shadow", "sticky_header", "revision")');
  const p = raw as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!INPUT_KEYS.has(key)) fail(`unknown field "${key}" (expected ${[...INPUT_KEYS].join(', ')})`);
  if (p.model !== undefined && p.model !== model) fail(`"model" is ${JSON.stringify(p.model)} but the policy is for '${model}'`);
  if (p.revision !== undefined && !(Number.isInteger(p.revision) && (p.revision as number) >= 0)) fail('"revision" must be a non-negative integer (the revision this change is based on)');

  if (!Array.isArray(p.variants) || p.variants.length === 0) fail('"variants" must be a non-empty list of {"target", "weight"}');
  const variants = p.variants as unknown[];
  if (variants.length > MAX_VARIANTS) fail(`"variants" has ${variants.length} entries; at most ${MAX_VARIANTS} are allowed`);
  const seen = new Set<string>();
  const parsedVariants = variants.map((v, i) => {
    const at = `variants[${i}]`;
    const target = parseTarget(v, at, ['target', 'weight'], fail);
    const weight = (v as Record<string, unknown>).weight;
    if (!Number.isInteger(weight) || (weight as number) < 0 || (weight as number) > 100) fail(`${at}.weight must be an integer from 0 to 100, got ${JSON.stringify(weight)}`);
    if (seen.has(target)) fail(`${at}.target "${target}" appears twice; give each target one weight`);
    seen.add(target);
    return { target, weight: weight as number };
  });
  const sum = parsedVariants.reduce((s, v) => s + v.weight, 0);
  if (sum !== 100) fail(`weights sum to ${sum}, they must sum to 100 (${parsedVariants.map((v) => `${v.target}=${v.weight}`).join(', ')})`);

  const rawShadow = p.shadow ?? [];
  if (!Array.isArray(rawShadow)) fail('"shadow" must be a list of {"target", "percent"}');
  const shadowSeen = new Set<string>();
  const shadow = (rawShadow as unknown[]).map((s, i) => {
    const at = `shadow[${i}]`;
    const target = parseTarget(s, at, ['target', 'percent'], fail);
    const percent = (s as Record<string, unknown>).percent;
    if (!Number.isInteger(percent) || (percent as number) < 1 || (percent as number) > 100) fail(`${at}.percent must be an integer from 1 to 100, got ${JSON.stringify(percent)}`);
    if (shadowSeen.has(target)) fail(`${at}.target "${target}" appears twice`);
    shadowSeen.add(target);
    return { target, percent: percent as number };
  });

  const sticky = p.sticky_header ?? DEFAULT_STICKY_HEADER;
  if (typeof sticky !== 'string' || !HEADER_TOKEN.test(sticky.toLowerCase())) fail('"sticky_header" must be an HTTP header name of 1-64 token characters, e.g. "x-switchyard-key"');

  const input: TrafficPolicyInput = { variants: parsedVariants, shadow, sticky_header: (sticky as string).toLowerCase() };
  if (p.revision !== undefined) input.expected_revision = p.revision as number;
  return input;
}

/** Every target must name a ready version, directly or through a set alias; a shadow must not also take live traffic. */
export function checkTrafficTargets(model: string, input: Pick<TrafficPolicyInput, 'variants' | 'shadow'>, catalog: TargetCatalog): void {
  const fail = (what: string): never => {
    throw new TrafficPolicyError(`traffic policy of model '${model}': ${what}`);
  };
  const live = new Map<string, number>();
  const check = (target: string, at: string): string => {
    const version = resolveTarget(target, catalog.aliases);
    if (version === undefined) {
      const aliases = Object.keys(catalog.aliases);
      fail(`${at}.target "${target}" is not an alias of model '${model}' (aliases: ${aliases.length ? aliases.join(', ') : 'none'})`);
    }
    const via = version === target ? '' : ` (alias "${target}" points at it)`;
    const status = catalog.statusOf(version!);
    if (status === undefined) fail(`${at}.target "${target}": model '${model}' has no version ${version}${via} (versions: ${catalog.describeVersions()})`);
    if (status === 'archived') fail(`${at}.target "${target}": version ${version} is archived${via}`);
    if (status === 'refused') fail(`${at}.target "${target}": version ${version} was refused when the registry loaded it${via}; register a new version`);
    return version!;
  };
  input.variants.forEach((v, i) => {
    const version = check(v.target, `variants[${i}]`);
    live.set(version, (live.get(version) ?? 0) + v.weight);
  });
  input.shadow.forEach((s, i) => {
    const version = check(s.target, `shadow[${i}]`);
    const weight = live.get(version) ?? 0;
    if (weight > 0) fail(`shadow[${i}].target "${s.target}" is version ${version}, which already takes live traffic (weight ${weight}); a shadow only receives copies`);
  });
}

/** The version a target names, or undefined for an alias that is not set. */
export function resolveTarget(target: string, aliases: Readonly<Record<string, string>>): string | undefined {
  const t = canonicalTarget(target);
  return isVersionTarget(t) ? t : aliases[t];
}

export interface TrafficShare {
  /** Sum of live weights that reach the version. */
  weight: number;
  /** Largest mirror percentage that reaches the version. */
  shadow_percent: number;
  /** Every policy entry that names the version, directly or through an alias, even with weight 0. */
  referenced_by: string[];
}

export function trafficShareOf(policy: Pick<TrafficPolicy, 'variants' | 'shadow'>, aliases: Readonly<Record<string, string>>, version: string): TrafficShare {
  const share: TrafficShare = { weight: 0, shadow_percent: 0, referenced_by: [] };
  for (const v of policy.variants) {
    if (resolveTarget(v.target, aliases) !== version) continue;
    share.weight += v.weight;
    share.referenced_by.push(`variant ${v.target}=${v.weight}`);
  }
  for (const s of policy.shadow) {
    if (resolveTarget(s.target, aliases) !== version) continue;
    share.shadow_percent = Math.max(share.shadow_percent, s.percent);
    share.referenced_by.push(`shadow ${s.target}:${s.percent}%`);
  }
  return share;
}

/** Parses a stored or received policy (with its model and revision), for model.json and for gateways. */
export function parseTrafficPolicy(raw: unknown, model: string): TrafficPolicy {
  if (!isObject(raw)) throw new TrafficPolicyError(`traffic policy of model '${model}': must be a JSON object`);
  const r = raw as Record<string, unknown>;
  if (!Number.isInteger(r.revision) || (r.revision as number) < 0) throw new TrafficPolicyError(`traffic policy of model '${model}': "revision" must be a non-negative integer`);
  const input = parseTrafficPolicyInput({ ...r, revision: undefined }, model);
  return { model, revision: r.revision as number, variants: input.variants, shadow: input.shadow, sticky_header: input.sticky_header };
}

function parseTarget(raw: unknown, at: string, keys: string[], fail: (what: string) => never): string {
  if (!isObject(raw)) fail(`${at} must be an object with ${keys.map((k) => `"${k}"`).join(' and ')}`);
  const entry = raw as Record<string, unknown>;
  for (const key of Object.keys(entry)) if (!keys.includes(key)) fail(`${at} has unknown field "${key}"`);
  if (typeof entry.target !== 'string' || entry.target === '') fail(`${at}.target must be a version number ("3") or an alias ("stable")`);
  const target = canonicalTarget(entry.target as string);
  if (!isVersionTarget(target)) {
    const problem = aliasProblem(target);
    if (problem) fail(`${at}.target "${target}" is neither a version number nor a valid alias: ${problem}`);
  }
  return target;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
