/**
 * Latency histograms for the load tests: HDR histograms (hdr-histogram-js) in
 * whole microseconds, 1 µs to 60 s at 3 significant digits, so a p99 is read
 * from every recorded request and not from a sample. Histograms cross process
 * boundaries in the standard compressed base64 form (mergeable, exact).
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

const HIGHEST_US = 60_000_000;

export function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Records one latency given in milliseconds (performance.now() units), clamped to the tracked range. */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export function summarize(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  const at = (p: number): number => (count === 0 ? 0 : histogram.getValueAtPercentile(p));
  return {
    count,
    meanUs: count === 0 ? 0 : Math.round(histogram.mean * 10) / 10,
    p50Us: at(50),
    p90Us: at(90),
    p99Us: at(99),
    p999Us: at(99.9),
    maxUs: count === 0 ? 0 : histogram.maxValue,
  };
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded);
}

/** One histogram holding every value of the given ones (e.g. from several client processes). */
export function mergeHistograms(histograms: readonly Histogram[]): Histogram {
  const merged = latencyHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}
