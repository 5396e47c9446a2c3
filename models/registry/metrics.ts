/** The registry's Prometheus series, on a registry it is given. Store gauges are read at scrape time. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RegistryStore } from './store.js';
import type { WatchHub } from './watch.js';

export class RegistryMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(registry: Registry, store: RegistryStore, watch: WatchHub) {
    const registers = [registry];
    this.requests = new Counter({ name: 'switchyard_registry_requests_total', help: 'Registry API requests by route pattern and HTTP status (401/403 are refused credentials).', labelNames: ['method', 'route', 'status'], registers });
    this.duration = new Histogram({ name: 'switchyard_registry_request_duration_seconds', help: 'Registry API request time; changes include fsyncs.', labelNames: ['method', 'route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers });
    new Gauge({
      name: 'switchyard_registry_versions',
      help: 'Model versions known to the registry by status (ready, archived, refused).',
      labelNames: ['status'],
      registers,
      collect() {
        const counts = { ready: 0, archived: 0, refused: 0 };
        for (const m of store.listModels()) for (const v of m.versions) counts[v.status]++;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({ name: 'switchyard_registry_models', help: 'Models known to the registry.', registers, collect() { this.set(store.listModels().length); } });
    new Gauge({ name: 'switchyard_registry_seq', help: 'Seq of the last change (grows by one per audited change).', registers, collect() { this.set(store.seq); } });
    new Gauge({ name: 'switchyard_registry_watchers', help: 'Open watch streams (gateways following changes).', registers, collect() { this.set(watch.watchers); } });
  }

  requestFinished(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    if (route !== '/api/v1/watch') this.duration.observe({ method, route }, seconds);
  }
}
