/**
 * A version's `reference_profile` as stored in its manifest (plain JSON written from
 * buildProfile), checked before the windows trust it: a malformed profile names the field that
 * is wrong rather than breaking a drift evaluation later.
 */
import {
  DEFAULT_THRESHOLDS,
  PROFILE_FORMAT,
  type DriftThresholds,
  type FeatureProfile,
  type ReferenceProfile,
} from '../drift/profile.js';

export class ProfileFormatError extends Error {
  override name = 'ProfileFormatError';
}

export function parseReferenceProfile(raw: unknown, where: string): ReferenceProfile {
  const fail = (what: string): never => {
    throw new ProfileFormatError(`${where}: reference_profile ${what}`);
  };
  if (!isObject(raw)) return fail('must be an object');
  if (raw.format !== PROFILE_FORMAT) fail(`format must be "${PROFILE_FORMAT}", got ${JSON.stringify(raw.format)}`);
  if (!isObject(raw.features) || Object.keys(raw.features).length === 0) fail('must have at least one feature');
  const share = raw.datasetDriftShare;
  if (typeof share !== 'number' || !(share > 0 && share <= 1)) fail('datasetDriftShare must be in (0, 1]');
  const features: Record<string, FeatureProfile> = {};
  for (const [name, feature] of Object.entries(raw.features as Record<string, unknown>)) features[name] = parseFeature(feature, `feature '${name}'`, fail);
  const prediction = raw.prediction === undefined || raw.prediction === null ? undefined : parseFeature(raw.prediction, 'prediction', fail);
  return Object.freeze({
    format: PROFILE_FORMAT,
    features: Object.freeze(features),
    ...(prediction ? { prediction } : {}),
    datasetDriftShare: share as number,
  });
}

function parseFeature(raw: unknown, at: string, fail: (what: string) => never): FeatureProfile {
  if (!isObject(raw)) return fail(`${at} must be an object`);
  const thresholds = parseThresholds(raw.thresholds, at, fail);
  if (!isCount(raw.count)) fail(`${at}: count must be a positive integer`);
  const binCounts = numbers(raw.binCounts, `${at}: binCounts`, fail);
  if (raw.kind === 'numeric') {
    const edges = numbers(raw.edges, `${at}: edges`, fail);
    for (let i = 1; i < edges.length; i++) if (!(edges[i]! > edges[i - 1]!)) fail(`${at}: edges must be strictly ascending`);
    if (binCounts.length !== edges.length + 1) fail(`${at}: ${edges.length} edges need ${edges.length + 1} binCounts, got ${binCounts.length}`);
    const sample = numbers(raw.sample, `${at}: sample`, fail);
    if (sample.length === 0) fail(`${at}: sample must not be empty`);
    for (let i = 1; i < sample.length; i++) if (sample[i]! < sample[i - 1]!) fail(`${at}: sample must be sorted ascending`);
    if (typeof raw.mean !== 'number' || typeof raw.std !== 'number' || !(raw.std >= 0)) fail(`${at}: mean and std (>= 0) must be numbers`);
    return Object.freeze({
      kind: 'numeric',
      count: raw.count as number,
      edges: Object.freeze(edges),
      binCounts: Object.freeze(binCounts),
      mean: raw.mean as number,
      std: raw.std as number,
      sample: Object.freeze(sample),
      thresholds,
    });
  }
  if (raw.kind === 'categorical') {
    const categories = raw.categories;
    if (!Array.isArray(categories) || !categories.every((c) => typeof c === 'string')) return fail(`${at}: categories must be a list of strings`);
    if (binCounts.length !== categories.length + 1) fail(`${at}: ${categories.length} categories need ${categories.length + 1} binCounts (the last is "other"), got ${binCounts.length}`);
    return Object.freeze({ kind: 'categorical', count: raw.count as number, categories: Object.freeze([...categories]), binCounts: Object.freeze(binCounts), thresholds });
  }
  return fail(`${at}: kind must be "numeric" or "categorical", got ${JSON.stringify(raw.kind)}`);
}

function parseThresholds(raw: unknown, at: string, fail: (what: string) => never): DriftThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...(isObject(raw) ? raw : {}) };
  for (const key of ['ksPValue', 'chi2PValue', 'wassersteinNorm', 'js', 'smallSampleMaxN'] as const) {
    if (typeof t[key] !== 'number' || !Number.isFinite(t[key])) fail(`${at}: thresholds.${key} must be a number`);
  }
  if (t.psi !== null && (typeof t.psi !== 'number' || !Number.isFinite(t.psi))) fail(`${at}: thresholds.psi must be a number or null`);
  return Object.freeze({ ksPValue: t.ksPValue, chi2PValue: t.chi2PValue, wassersteinNorm: t.wassersteinNorm, js: t.js, psi: t.psi, smallSampleMaxN: t.smallSampleMaxN });
}

function numbers(raw: unknown, at: string, fail: (what: string) => never): number[] {
  if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) return fail(`${at} must be a list of finite numbers`);
  return [...raw];
}

function isCount(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
