/**
 * A rollout's traffic figures from a Prometheus server that scrapes every
 * gateway replica — what a deployment behind an autoscaler has, where the
 * registry cannot know the replicas. Each scrape asks Prometheus' HTTP API for
 * the increase of the gateways' request counters and latency buckets over the
 * time since the previous scrape, summed over replicas by version (shadow
 * requests left out, as from the gateways directly).
 *
 * Prometheus lags by up to one of its scrape intervals and `increase()`
 * extrapolates to the ends of the range, so an interval should span several of
 * its scrapes. A failed query keeps the previous time: the next scrape covers
 * the gap.
 */
import { fetchSource } from './fetch-source.js';
import { addToVersion, DURATION_BUCKET_METRIC, REQUESTS_METRIC, type ScrapeResult, type TrafficSource, type VersionTraffic } from './traffic-figures.js';

interface InstantVector {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export class PrometheusTraffic implements TrafficSource {
  /** Unix time (s) of the last scrape, or undefined: the next one only sets it. */
  private since: number | undefined;

  constructor(
    readonly model: string,
    /** The server's base URL, e.g. http://prometheus:9090. */
    private readonly url: string,
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {}

  reset(): void {
    this.since = undefined;
  }

  async scrape(): Promise<ScrapeResult> {
    const now = this.clock();
    const result: ScrapeResult = { versions: new Map(), reached: 0, asked: 1, baselined: 0, problems: [] };
    const since = this.since;
    this.since = now;
    if (since === undefined) {
      result.reached = 1;
      result.baselined = 1;
      return result;
    }
    const range = `${Math.max(1, Math.round(now - since))}s`;
    const selector = `model="${escapeLabel(this.model)}",role!="shadow"`;
    try {
      const [requests, buckets] = await Promise.all([
        this.query(`sum by (version, status) (increase(${REQUESTS_METRIC}{${selector}}[${range}]))`, now),
        this.query(`sum by (version, le) (increase(${DURATION_BUCKET_METRIC}{${selector}}[${range}]))`, now),
      ]);
      addAll(result.versions, REQUESTS_METRIC, requests);
      addAll(result.versions, DURATION_BUCKET_METRIC, buckets);
      result.reached = 1;
    } catch (err) {
      this.since = since;
      result.problems.push(`${this.url}: ${(err as Error).message}`);
    }
    return result;
  }

  private async query(expr: string, time: number): Promise<NonNullable<InstantVector['data']>> {
    const params = new URLSearchParams({ query: expr, time: time.toFixed(3) });
    const body = (await (await fetchSource(`${this.url}/api/v1/query?${params}`)).json()) as InstantVector;
    if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`query failed: ${body.error ?? body.data?.resultType}`);
    return body.data;
  }
}

function addAll(versions: Map<string, VersionTraffic>, metric: string, vector: NonNullable<InstantVector['data']>): void {
  for (const { metric: labels, value } of vector.result) {
    const delta = Number(value[1]);
    if (labels.version !== undefined && delta > 0) addToVersion(versions, metric, labels, delta);
  }
}

/** A PromQL string literal's content: backslashes, quotes and newlines escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
