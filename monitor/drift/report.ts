/**
 * Compares current data with a reference profile: every test on every feature, the per-feature
 * drift flag from the thresholds frozen in the profile (see DriftThresholds for which test
 * decides), and the dataset drift flag from the share of drifted features. The streaming
 * windows and the offline `switchyard drift` command both end here.
 *
 * Numeric features: PSI and Jensen–Shannon over the reference's quantile bins; KS and Wasserstein
 * on the raw samples (the profile's reservoir, or the full reference column when given); no
 * chi-squared. Categorical features: PSI, Jensen–Shannon and chi-squared over the category bins;
 * KS and Wasserstein do not apply to unordered values and are null (present, so that every
 * feature's result has the same keys; chi2 and chi2_pvalue exist only for categorical features).
 */
import { CategoryBins, countNumericBins } from './bins.js';
import { chiSquared } from './chi-squared.js';
import { jensenShannon } from './jensen-shannon.js';
import { ksTwoSampleSorted } from './ks.js';
import type { FeatureProfile, ReferenceProfile } from './profile.js';
import { psi } from './psi.js';
import { isSorted, sortedCopy } from './sorted.js';
import { wassersteinSorted } from './wasserstein.js';

/** Smallest standard deviation Wasserstein is normalised by (Evidently's), for constant reference columns. */
export const WASSERSTEIN_NORM_MIN_STD = 1e-3;

/** What is known of the current data of one feature. */
export interface CurrentSample {
  /** Counts over the profile's bins (exact, over the whole window). */
  readonly binCounts: ArrayLike<number>;
  /** Numeric features: raw values (all of them, or a uniform sample) for KS and Wasserstein. */
  readonly values?: ArrayLike<number>;
}

export interface FeatureDrift {
  readonly psi: number;
  readonly ks_stat: number | null;
  readonly ks_pvalue: number | null;
  readonly js: number;
  readonly wasserstein: number | null;
  readonly wasserstein_norm: number | null;
  readonly chi2?: number;
  readonly chi2_pvalue?: number;
  readonly drift: boolean;
}

export interface DatasetDrift {
  readonly features: Readonly<Record<string, FeatureDrift>>;
  readonly prediction?: FeatureDrift;
  readonly driftedFeatures: number;
  readonly comparedFeatures: number;
  readonly share: number;
  /** The profile's datasetDriftShare the share was held against. */
  readonly shareThreshold: number;
  readonly drift: boolean;
}

/** Bins current values of a feature, keeping numeric values for KS and Wasserstein. */
export function currentSample(feature: FeatureProfile, values: ArrayLike<number> | readonly string[]): CurrentSample {
  if (feature.kind === 'categorical') {
    return { binCounts: new CategoryBins(feature.categories).count(Array.from(values as ArrayLike<number | string>, String)) };
  }
  const numbers = Float64Array.from(values as ArrayLike<number>);
  for (let i = 0; i < numbers.length; i++) {
    if (!Number.isFinite(numbers[i])) throw new RangeError(`current value ${i} is ${numbers[i]}, expected a finite number`);
  }
  return { binCounts: countNumericBins(feature.edges, numbers), values: numbers };
}

/**
 * Every test of one feature. `referenceValues` replaces the profile's bounded sample for KS and
 * Wasserstein (the offline command passes the full reference column).
 */
export function compareFeature(feature: FeatureProfile, current: CurrentSample, referenceValues?: ArrayLike<number>): FeatureDrift {
  const count = total(current.binCounts);
  if (count === 0) throw new RangeError('compareFeature: the current sample is empty');
  const t = feature.thresholds;
  const psiValue = psi(feature.binCounts, current.binCounts);
  const js = jensenShannon(feature.binCounts, current.binCounts);
  const small = count <= t.smallSampleMaxN;
  const psiDrift = t.psi !== null && psiValue > t.psi;

  if (feature.kind === 'categorical') {
    const chi2 = chiSquared(feature.binCounts, current.binCounts);
    const drift = psiDrift || (small ? chi2.pvalue < t.chi2PValue : js > t.js);
    return {
      psi: psiValue,
      ks_stat: null,
      ks_pvalue: null,
      js,
      wasserstein: null,
      wasserstein_norm: null,
      chi2: chi2.statistic,
      chi2_pvalue: chi2.pvalue,
      drift,
    };
  }

  if (!current.values || current.values.length === 0) {
    // bins only: Jensen–Shannon is the one test left
    const drift = psiDrift || js > t.js;
    return { psi: psiValue, ks_stat: null, ks_pvalue: null, js, wasserstein: null, wasserstein_norm: null, drift };
  }
  const reference = sortedOrCopy(referenceValues ?? feature.sample);
  const values = sortedOrCopy(current.values);
  const ks = ksTwoSampleSorted(reference, values);
  const wasserstein = wassersteinSorted(reference, values);
  const wassersteinNorm = wasserstein / Math.max(feature.std, WASSERSTEIN_NORM_MIN_STD);
  const drift = psiDrift || (small ? ks.pvalue < t.ksPValue : wassersteinNorm > t.wassersteinNorm);
  return {
    psi: psiValue,
    ks_stat: ks.statistic,
    ks_pvalue: ks.pvalue,
    js,
    wasserstein,
    wasserstein_norm: wassersteinNorm,
    drift,
  };
}

/**
 * Every feature that has a current sample (features without one are not compared), the
 * prediction apart: the dataset drifts when the share of drifted features reaches the profile's
 * `datasetDriftShare`.
 */
export function compareDataset(
  profile: ReferenceProfile,
  current: { readonly features: Readonly<Record<string, CurrentSample>>; readonly prediction?: CurrentSample },
  referenceValues: Readonly<Record<string, ArrayLike<number>>> = {},
): DatasetDrift {
  const features: Record<string, FeatureDrift> = {};
  let drifted = 0;
  let compared = 0;
  for (const [name, feature] of Object.entries(profile.features)) {
    const sample = current.features[name];
    if (!sample || total(sample.binCounts) === 0) continue;
    const result = compareFeature(feature, sample, referenceValues[name]);
    features[name] = result;
    compared++;
    if (result.drift) drifted++;
  }
  const prediction =
    profile.prediction && current.prediction && total(current.prediction.binCounts) > 0
      ? compareFeature(profile.prediction, current.prediction)
      : undefined;
  const share = compared === 0 ? 0 : drifted / compared;
  return {
    features,
    ...(prediction ? { prediction } : {}),
    driftedFeatures: drifted,
    comparedFeatures: compared,
    share,
    shareThreshold: profile.datasetDriftShare,
    drift: compared > 0 && share >= profile.datasetDriftShare,
  };
}

function sortedOrCopy(values: ArrayLike<number>): ArrayLike<number> {
  return isSorted(values) ? values : sortedCopy(values);
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}
