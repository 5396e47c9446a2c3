/** Where a registry's rollouts read their traffic figures: each gateway's /metrics, or a Prometheus server scraping them all. */
import { PrometheusTraffic } from './prometheus-traffic.js';
import { GatewayScraper, type TrafficSource } from './traffic-figures.js';

export interface TrafficOrigin {
  /** False when nothing is configured: rollouts then hold, waiting for samples. */
  readonly configured: boolean;
  /** A model's source; each rollout keeps its own. */
  source(model: string): TrafficSource;
}

export function trafficOrigin(config: { readonly gatewayMetricsUrls: readonly string[]; readonly prometheusUrl?: string }): TrafficOrigin {
  const { gatewayMetricsUrls, prometheusUrl } = config;
  if (prometheusUrl !== undefined) return { configured: true, source: (model) => new PrometheusTraffic(model, prometheusUrl) };
  return { configured: gatewayMetricsUrls.length > 0, source: (model) => new GatewayScraper(model, gatewayMetricsUrls) };
}
