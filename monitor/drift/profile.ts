/**
 * The reference profile of a model version, built once from its training data and stored with
 * the version (plain JSON): per feature its kind, fixed bins and reference counts, mean and
 * standard deviation, a bounded sample for the KS test and Wasserstein distance, and the drift
 * thresholds frozen at build time — so a version is always judged by the rules it shipped with.
 */
import { CategoryBins, countNumericBins, quantileEdges } from './bins.js';
import { Reservoir, SeededRandom } from './reservoir.js';
import { sortedCopy } from './sorted.js';

export const PROFILE_FORMAT = 'switchyard.drift-profile/1';

/**
 * Per-test thresholds and which test decides, frozen in the profile. As Evidently does by
 * default, a feature is judged by one test chosen by its kind and the size of the current sample:
 * with at most `smallSampleMaxN` values by its p-value (KS for numeric features, chi-squared for
 * categorical ones: drift when p < threshold); with more — where a p-value flags shifts too small
 * to matter — by a distance (normalised Wasserstein for numeric, Jensen–Shannon for categorical:
 * drift when distance > threshold). PSI is always reported, and also flags drift when it exceeds
 * `psi` unless that is null (the default: PSI over ten bins is noisy on small samples).
 */
export interface DriftThresholds {
  readonly ksPValue: number;
  readonly chi2PValue: number;
  readonly wassersteinNorm: number;
  readonly js: number;
  readonly psi: number | null;
  readonly smallSampleMaxN: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = Object.freeze({
  ksPValue: 0.05,
  chi2PValue: 0.05,
  wassersteinNorm: 0.1,
  js: 0.1,
  psi: null,
  smallSampleMaxN: 1000,
});

export interface NumericFeatureProfile {
  readonly kind: 'numeric';
  /** Reference values seen. */
  readonly count: number;
  /** Bin edges (ascending, unique); edges.length + 1 bins. */
  readonly edges: readonly number[];
  readonly binCounts: readonly number[];
  readonly mean: number;
  /** Population standard deviation (ddof = 0, numpy.std's default). */
  readonly std: number;
  /** Uniform sample of at most `sampleSize` reference values, sorted ascending. */
  readonly sample: readonly number[];
  readonly thresholds: DriftThresholds;
}

export interface CategoricalFeatureProfile {
  readonly kind: 'categorical';
  readonly count: number;
  /** Kept categories, most frequent first; bin i is categories[i], the last bin is "other". */
  readonly categories: readonly string[];
  readonly binCounts: readonly number[];
  readonly thresholds: DriftThresholds;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

export interface ReferenceProfile {
  readonly format: typeof PROFILE_FORMAT;
  readonly features: Readonly<Record<string, FeatureProfile>>;
  readonly prediction?: FeatureProfile;
  /** Dataset drift when at least this share of the compared features drifted. */
  readonly datasetDriftShare: number;
}

/** A column of values: numbers make a numeric feature, strings a categorical one. Missing values are left out. */
export type FeatureColumn = ArrayLike<number> | readonly string[];

export interface ProfileOptions {
  /** Numeric bins (default 10). */
  readonly bins?: number;
  /** Reservoir size for the KS / Wasserstein sample (default 5000). */
  readonly sampleSize?: number;
  /** Categories kept per categorical feature, most frequent first (default 100); the rest share the "other" bin. */
  readonly maxCategories?: number;
  readonly seed?: number;
  readonly thresholds?: Partial<DriftThresholds>;
  readonly datasetDriftShare?: number;
  /** Features to treat as categorical even though their values are numbers. */
  readonly categorical?: readonly string[];
  /** The model's predictions on the training data. */
  readonly prediction?: FeatureColumn;
}

export function buildProfile(columns: Readonly<Record<string, FeatureColumn>>, options: ProfileOptions = {}): ReferenceProfile {
  const bins = positiveInteger(options.bins ?? 10, 'bins');
  const sampleSize = positiveInteger(options.sampleSize ?? 5000, 'sampleSize');
  const maxCategories = positiveInteger(options.maxCategories ?? 100, 'maxCategories');
  const thresholds = Object.freeze({ ...DEFAULT_THRESHOLDS, ...options.thresholds });
  const datasetDriftShare = options.datasetDriftShare ?? 0.5;
  if (!(datasetDriftShare > 0 && datasetDriftShare <= 1)) throw new RangeError(`datasetDriftShare must be in (0, 1], got ${datasetDriftShare}`);
  const categorical = new Set(options.categorical ?? []);
  const random = new SeededRandom(options.seed ?? 0x5eed);

  const build = (name: string, column: FeatureColumn): FeatureProfile => {
    if (column.length === 0) throw new RangeError(`feature '${name}' has no reference values`);
    if (categorical.has(name) || typeof column[0] === 'string') {
      return categoricalProfile(Array.from(column as ArrayLike<number | string>, String), maxCategories, thresholds);
    }
    return numericProfile(name, column as ArrayLike<number>, bins, new Reservoir(sampleSize, random), thresholds);
  };
  const features: Record<string, FeatureProfile> = {};
  for (const [name, column] of Object.entries(columns)) features[name] = build(name, column);
  const prediction = options.prediction ? build('prediction', options.prediction) : undefined;
  return Object.freeze({
    format: PROFILE_FORMAT,
    features: Object.freeze(features),
    ...(prediction ? { prediction } : {}),
    datasetDriftShare,
  });
}

function numericProfile(
  name: string,
  column: ArrayLike<number>,
  bins: number,
  reservoir: Reservoir,
  thresholds: DriftThresholds,
): NumericFeatureProfile {
  for (let i = 0; i < column.length; i++) {
    if (!Number.isFinite(column[i])) throw new RangeError(`feature '${name}': reference value ${i} is ${column[i]}, expected a finite number`);
  }
  const sorted = sortedCopy(column);
  const edges = quantileEdges(sorted, bins);
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  const mean = sum / sorted.length;
  let squares = 0;
  for (let i = 0; i < sorted.length; i++) squares += (sorted[i]! - mean) ** 2;
  for (let i = 0; i < column.length; i++) reservoir.add(column[i]!);
  return Object.freeze({
    kind: 'numeric',
    count: sorted.length,
    edges: Object.freeze(edges),
    binCounts: Object.freeze(Array.from(countNumericBins(edges, sorted))),
    mean,
    std: Math.sqrt(squares / sorted.length),
    sample: Object.freeze(Array.from(reservoir.values()).sort((a, b) => a - b)),
    thresholds,
  });
}

function categoricalProfile(column: readonly string[], maxCategories: number, thresholds: DriftThresholds): CategoricalFeatureProfile {
  const counts = new Map<string, number>();
  for (const v of column) counts.set(v, (counts.get(v) ?? 0) + 1);
  // most frequent first, ties in code-point order, so the profile does not depend on row order
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const categories = ranked.slice(0, maxCategories).map(([c]) => c);
  return Object.freeze({
    kind: 'categorical',
    count: column.length,
    categories: Object.freeze(categories),
    binCounts: Object.freeze(Array.from(new CategoryBins(categories).count(column))),
    thresholds,
  });
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}
