/**
 * The gateway's one /metrics page: the main thread's series and every
 * shard's, gathered at scrape time and summed per label set (prom-client's
 * AggregatorRegistry): counters and histograms add up across shards, gauges
 * too (queue depth, in-flight batches, buffered records); series only the
 * main thread keeps pass through as they are.
 */
import { AggregatorRegistry, Registry } from 'prom-client';
import type { MetricsSource } from '../../runtime/metrics-server.js';
import type { ShardSet } from '../shards/shard-set.js';

export class GatewayMetricsPage implements MetricsSource {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  constructor(
    private readonly own: Registry,
    private readonly shards: ShardSet,
  ) {}

  /** Every series of the gateway, as one registry. */
  async registry(): Promise<Registry> {
    const [own, shards] = await Promise.all([this.own.getMetricsAsJSON(), this.shards.metrics()]);
    return AggregatorRegistry.aggregate([own, ...shards]);
  }

  async metrics(): Promise<string> {
    return (await this.registry()).metrics();
  }
}
