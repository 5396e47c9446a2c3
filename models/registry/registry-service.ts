/**
 * The registry process: the filesystem store, its HTTP API (node:http: admin
 * traffic is light), the watch stream and /metrics on one port. `start` loads
 * and recovers the store before listening; `close` refuses new requests, ends
 * watch streams, waits for requests in flight and queued writes, then closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from '../../runtime/node-http.js';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../runtime/log.js';
import { registryRoutes, type Handler } from './api.js';
import { TokenAuthority } from './auth.js';
import { registryConfig, type RegistryConfig } from './config.js';
import { SwitchyardError } from '../../runtime/errors.js';
import { sendError } from './http-io.js';
import { RegistryMetrics } from './metrics.js';
import { requireAlias, requireModelName, requireVersion } from './names.js';
import type { Router } from './router.js';
import { RegistryStore } from './store.js';
import { WatchHub } from './watch.js';
import { ChangePublisher } from '../../runtime/change-channel.js';
import { addRolloutRoutes } from '../rollout/rollout-api.js';
import { RolloutController } from '../rollout/rollout-controller.js';
import { RolloutMetrics } from '../rollout/rollout-metrics.js';
import { loadRolloutPolicies, RolloutPolicySet } from '../rollout/rollout-policy.js';
import type { CanaryStarter } from '../training/canary-starter.js';
import { TrainingRunner } from '../training/training-runner.js';
import { mountTrainingRoutes } from '../training/training-routes.js';
import { trafficOrigin } from '../rollout/traffic-origin.js';

/** What tests (or an embedding program) may put in place of the registry's own parts. */
export interface RegistryHooks {
  /** Receives every retrained version that beat stable; the rollout controller by default. */
  canaryStarter?: CanaryStarter;
}

const PARAM_RULES: Record<string, (value: string) => string> = { model: requireModelName, version: requireVersion, alias: requireAlias };

export class RegistryService {
  private inflight = 0;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly config: Readonly<RegistryConfig>,
    readonly store: RegistryStore,
    readonly port: number,
    private readonly server: Server,
    private readonly watch: WatchHub,
    private readonly publisher: ChangePublisher | undefined,
    private readonly log: Logger,
    /** The progressive rollout controller; the training job runner takes it as its `CanaryStarter`. */
    readonly rollouts: RolloutController,
    /** Training jobs: queue, store, webhook receiver state. */
    readonly training: TrainingRunner,
  ) {}

  static async start(input: Partial<RegistryConfig> & { dataDir: string }, log: Logger = createLogger({ component: 'registry' }), metrics: Registry = new Registry(), hooks: RegistryHooks = {}): Promise<RegistryService> {
    const config = registryConfig(input);
    const auth = new TokenAuthority(config.tokens);
    if (!auth.adminConfigured) log.warn('no admin tokens configured (SWITCHYARD_ADMIN_TOKENS): every change will be refused');
    if (auth.readsOpen) log.warn('reads need no token on this registry', { host: config.host, reason: config.tokens.anonymousReads ? 'anonymous reads allowed' : 'no tokens configured' });
    const policies = config.rolloutPolicies ?? (config.rolloutFile ? await loadRolloutPolicies(config.rolloutFile) : new RolloutPolicySet([]));
    const store = await RegistryStore.open(config.dataDir, log);
    const watch = new WatchHub(store, config.heartbeatMs);
    const publisher = config.redisUrl ? new ChangePublisher(config.redisUrl, log) : undefined;
    if (publisher) store.subscribe((change) => publisher.publish(change));
    const events = new RegistryMetrics(metrics, store, watch);
    const rolloutMetrics = new RolloutMetrics(metrics, store);
    const rollouts = await RolloutController.open({ store, dataDir: config.dataDir, policies, traffic: trafficOrigin(config), monitorUrl: config.monitorUrl, log: log.child({ component: 'rollout' }), observer: rolloutMetrics });
    rolloutMetrics.attach(rollouts);
    const router = addRolloutRoutes(registryRoutes({ store, watch, metrics, maxUploadBytes: config.maxUploadBytes, maxJsonBytes: config.maxJsonBytes }), rollouts, config.maxJsonBytes);
    const training = await TrainingRunner.start({
      dataDir: config.dataDir,
      store,
      training: config.training,
      ...(config.monitorUrl !== undefined ? { monitorUrl: config.monitorUrl } : {}),
      ...(config.webhookSecret !== undefined ? { webhookSecret: config.webhookSecret } : {}),
      concurrency: config.trainingConcurrency,
      canaryStarter: hooks.canaryStarter ?? rollouts,
      log: log.child({ component: 'training' }),
      metrics,
    });
    mountTrainingRoutes(router, training, config.maxJsonBytes);
    let service: RegistryService | undefined;
    const server = createServer((req, res) => service!.handle(req, res, router, auth, events));
    let port: number;
    try {
      port = await listen(server, config.host, config.port);
    } catch (err) {
      await training.close();
      await rollouts.close();
      throw err;
    }
    service = new RegistryService(config, store, port, server, watch, publisher, log, rollouts, training);
    log.info('registry ready', { host: config.host, port, dataDir: config.dataDir, models: store.listModels().length, seq: store.seq, problems: store.problems.length });
    return service;
  }

  get url(): string {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host}:${this.port}`;
  }

  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    this.log.info('registry draining', { inflight: this.inflight });
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.watch.close();
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.training.close();
    await this.rollouts.close();
    await this.store.close();
    await this.publisher?.close();
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    await closed;
    clearTimeout(timer);
    this.log.info('registry stopped', { seq: this.store.seq });
  }

  private handle(req: IncomingMessage, res: ServerResponse, router: Router<Handler>, auth: TokenAuthority, events: RegistryMetrics): void {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    let route = 'unmatched';
    this.inflight++;
    const run = async (): Promise<void> => {
      if (this.closing) throw new SwitchyardError('SY_ERR_SHUTTING_DOWN', 'the registry is shutting down; retry against its replacement');
      const match = router.match(method, req.url ?? '/');
      route = match.route.pattern;
      const principal = match.route.scope ? auth.authorize(req.headers.authorization, match.route.scope) : { actor: 'anonymous', scope: 'read' as const };
      for (const [name, value] of Object.entries(match.params)) PARAM_RULES[name]?.(value);
      await match.route.handler({ req, res, params: match.params, query: match.query, principal });
    };
    run()
      .catch((err: unknown) => {
        const allow = (err as { allow?: string }).allow;
        const status = sendError(res, err, allow ? { Allow: allow } : {});
        if (status >= 500 && status !== 503) this.log.error('registry request failed', { method, url: req.url, error: (err as Error).message });
        if ((err as SwitchyardError).kind === 'too_large' || this.closing) res.once('finish', () => req.destroy());
      })
      .finally(() => {
        if (!res.writableEnded && route === '/api/v1/watch') {
          res.once('close', () => this.finished(method, route, res.statusCode, started, events));
          return;
        }
        this.finished(method, route, res.statusCode, started, events);
      });
  }

  private finished(method: string, route: string, status: number, started: bigint, events: RegistryMetrics): void {
    events.requestFinished(method, route, status, Number(process.hrtime.bigint() - started) / 1e9);
    this.inflight--;
    if (this.inflight === 0) this.drained?.();
  }
}
