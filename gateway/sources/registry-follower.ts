/**
 * Follows the registry's watch stream (server-sent events) and applies every
 * model change to the catalog. The stream starts with a snapshot, so `start`
 * resolves once the gateway serves what the registry says; reconnects resume
 * from the last event id, so no change is missed.
 */
import { EventSource } from 'eventsource';
import type { Logger } from '../../runtime/log.js';
import type { ModelView } from '../../models/registry/views.js';
import { registryPlan, type ModelPlan } from '../routing/model-plan.js';
import { modelState, type RegistryClient } from './registry-client.js';

/** Where the follower's changes are applied (the control plane's catalog). */
export interface PlanTarget {
  apply(plan: ModelPlan): Promise<void>;
}

export class RegistryFollower {
  private source: EventSource | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly catalog: PlanTarget,
    private readonly log: Logger,
  ) {}

  /** Connects and resolves when the initial snapshot is applied. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const headers = this.client.headers;
      const source = new EventSource(`${this.client.url}/api/v1/watch`, {
        fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
      });
      this.source = source;
      let synced = false;
      source.addEventListener('model', (event) => {
        const change = JSON.parse(event.data) as { model: ModelView };
        void this.apply(change.model, 'watch');
      });
      source.addEventListener('synced', () => {
        if (synced) return;
        synced = true;
        Promise.all(this.pending).then(() => resolve());
      });
      source.addEventListener('error', (event) => {
        this.log.warn('registry watch stream error; reconnecting', { registry: this.client.url, error: event.message ?? '' });
        if (!synced && source.readyState === EventSource.CLOSED) reject(new Error(`cannot follow the registry at ${this.client.url}: ${event.message ?? 'connection closed'}`));
      });
    });
  }

  /** Applies one model's state; a state older than the applied one is ignored by the catalog. */
  apply(view: ModelView, source: 'watch' | 'redis'): Promise<void> {
    this.log.debug('registry change', { model: view.name, revision: view.revision, source });
    const done = this.catalog
      .apply(registryPlan(modelState(view), (version) => this.client.loadVersion(view.name, version)))
      .catch((err: unknown) => this.log.error('registry change not applied', { model: view.name, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
    return done;
  }

  close(): void {
    this.source?.close();
  }
}
