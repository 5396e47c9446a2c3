/**
 * Request figures of one model's versions over an interval, from the gateways'
 * Prometheus endpoints (summed over replicas): requests, server-side errors and
 * the latency histogram of answered requests, as deltas between two scrapes.
 *
 * Each series' delta is taken on its own: a value lower than the last one is a
 * counter reset (the gateway restarted), and the new value is the delta; a
 * series first seen on a gateway already scraped counts from zero; a gateway
 * scraped for the first time (or again after it was unreachable) only sets its
 * baseline. Shadow requests (role "shadow") are left out: their answers never
 * reach a caller.
 */
import { fetchSource } from './fetch-source.js';
import { ERROR_CODES, httpStatusOf } from '../../runtime/errors.js';
import { parseExposition, type Sample } from './prometheus-text.js';

export const REQUESTS_METRIC = 'switchyard_requests_total';
export const DURATION_BUCKET_METRIC = 'switchyard_request_duration_seconds_bucket';

/** Cumulative bucket counts by upper bound ("0.005", "+Inf"), Prometheus-style. */
export type Buckets = Record<string, number>;

export interface VersionTraffic {
  requests: number;
  /** Requests that failed through no fault of the caller (see `isServerError`). */
  errors: number;
  /** Latency of the answered (OK) requests. */
  buckets: Buckets;
}

export function emptyTraffic(): VersionTraffic {
  return { requests: 0, errors: 0, buckets: {} };
}

export function addTraffic(into: VersionTraffic, more: VersionTraffic): VersionTraffic {
  into.requests += more.requests;
  into.errors += more.errors;
  for (const [le, n] of Object.entries(more.buckets)) into.buckets[le] = (into.buckets[le] ?? 0) + n;
  return into;
}

/**
 * Server-side failures: the codes whose kind maps to a 5xx (deadline, unavailable,
 * internal). Client errors (4xx: bad input, unknown model) and overload refusals
 * (429, the caller may retry) are not the canary's fault. A status the catalogue
 * does not know (a newer gateway) counts as an error, to be safe.
 */
export function isServerError(status: string): boolean {
  if (status === 'OK') return false;
  const kind = (ERROR_CODES as Record<string, (typeof ERROR_CODES)[keyof typeof ERROR_CODES]>)[status];
  return kind === undefined || httpStatusOf(kind) >= 500;
}

/** Answered requests in a histogram: its +Inf bucket. */
export function observations(buckets: Buckets): number {
  return buckets['+Inf'] ?? 0;
}

/**
 * The q-quantile of a cumulative histogram by linear interpolation inside the
 * bucket the rank falls in, as Prometheus' histogram_quantile: the first bucket
 * starts at 0; a rank in the +Inf bucket answers the largest finite bound; NaN
 * without observations or without a +Inf bucket.
 */
export function histogramQuantile(q: number, buckets: Buckets): number {
  const sorted = Object.entries(buckets)
    .map(([le, count]) => ({ le: le === '+Inf' ? Infinity : Number(le), count }))
    .sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  for (let i = 1; i < sorted.length; i++) sorted[i]!.count = Math.max(sorted[i]!.count, sorted[i - 1]!.count);
  const total = sorted[sorted.length - 1]!.count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  const b = sorted.findIndex((bucket) => bucket.count >= rank);
  if (b === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (b === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  const start = b === 0 ? 0 : sorted[b - 1]!.le;
  const below = b === 0 ? 0 : sorted[b - 1]!.count;
  const inBucket = sorted[b]!.count - below;
  return inBucket > 0 ? start + (sorted[b]!.le - start) * ((rank - below) / inBucket) : sorted[b]!.le;
}

/** One gateway's series of the model at one scrape: series key → value. */
type Snapshot = Map<string, { sample: Sample; value: number }>;

export interface ScrapeResult {
  /** Interval deltas by version. */
  versions: Map<string, VersionTraffic>;
  /** Gateways answered / asked; gateways that only set their baseline this time. */
  reached: number;
  asked: number;
  baselined: number;
  problems: string[];
}

/** Where a rollout reads its traffic figures: each `scrape()` returns the deltas since the one before. */
export interface TrafficSource {
  scrape(): Promise<ScrapeResult>;
  /** Forgets the baseline (after a pause): the next scrape only sets it again. */
  reset(): void;
}

/** Keeps the previous scrape of each gateway for one model; `scrape()` returns the deltas since. */
export class GatewayScraper implements TrafficSource {
  private readonly previous = new Map<string, Snapshot>();

  constructor(
    readonly model: string,
    readonly urls: readonly string[],
    private readonly fetchText: (url: string) => Promise<string> = fetchMetrics,
  ) {}

  /** Forgets every baseline (after a pause): the next scrape only sets them again. */
  reset(): void {
    this.previous.clear();
  }

  async scrape(): Promise<ScrapeResult> {
    const result: ScrapeResult = { versions: new Map(), reached: 0, asked: this.urls.length, baselined: 0, problems: [] };
    await Promise.all(
      this.urls.map(async (url) => {
        let current: Snapshot;
        try {
          current = this.snapshot(await this.fetchText(url));
        } catch (err) {
          this.previous.delete(url);
          result.problems.push(`${url}: ${(err as Error).message}`);
          return;
        }
        result.reached++;
        const before = this.previous.get(url);
        this.previous.set(url, current);
        if (!before) {
          result.baselined++;
          return;
        }
        for (const [key, { sample, value }] of current) {
          const last = before.get(key)?.value ?? 0;
          const delta = value >= last ? value - last : value;
          if (delta > 0) addToVersion(result.versions, sample.name, sample.labels, delta);
        }
      }),
    );
    return result;
  }

  private snapshot(text: string): Snapshot {
    const snapshot: Snapshot = new Map();
    const samples = parseExposition(text, (name) => name === REQUESTS_METRIC || name === DURATION_BUCKET_METRIC);
    for (const sample of samples) {
      if (sample.labels.model !== this.model || sample.labels.role === 'shadow' || sample.labels.version === undefined) continue;
      const key = `${sample.name}{${Object.entries(sample.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
      snapshot.set(key, { sample, value: sample.value });
    }
    return snapshot;
  }
}

/** Adds the increase of one series (REQUESTS_METRIC by status, or a DURATION_BUCKET_METRIC bucket) to its version's figures. */
export function addToVersion(versions: Map<string, VersionTraffic>, metric: string, labels: Readonly<Record<string, string>>, delta: number): void {
  const version = labels.version!;
  let traffic = versions.get(version);
  if (!traffic) versions.set(version, (traffic = emptyTraffic()));
  if (metric === REQUESTS_METRIC) {
    traffic.requests += delta;
    if (isServerError(labels.status ?? '')) traffic.errors += delta;
  } else if (labels.le !== undefined) {
    const le = normalizeLe(labels.le);
    traffic.buckets[le] = (traffic.buckets[le] ?? 0) + delta;
  }
}

/** "+Inf" stays; "0.0050" and "5e-3" become "0.005", so replicas' buckets add up. */
function normalizeLe(le: string): string {
  if (le === '+Inf' || le === 'Inf') return '+Inf';
  const n = Number(le);
  return Number.isFinite(n) ? String(n) : le;
}

async function fetchMetrics(url: string): Promise<string> {
  return (await fetchSource(url)).text();
}
