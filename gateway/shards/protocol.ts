/**
 * What the gateway's main thread (the control plane) and its shards say to
 * each other. The main thread sends requests over each shard's control port
 * and the shard answers them (threads/port-requests); the shard's log lines
 * travel the other way on its parent port. Plain data and transferred ports
 * only.
 */
import type { MessagePort } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ModelManifest } from '../../models/manifest.js';
import type { Level } from '../../runtime/log.js';
import type { RepositoryEntry } from '../inference/types.js';
import type { ResolvedPolicy } from '../routing/traffic-router.js';

/** How a shard runs a version it does not hold yet. */
export type VersionLoad = { mode: 'inline'; model: Uint8Array } | { mode: 'pool'; ports: MessagePort[] };

export interface VersionEntry {
  /** One load of the version: a shard that already holds this key keeps what it holds. */
  key: string;
  /** With the gateway's overrides applied. */
  manifest: ModelManifest;
  /** The provider the control plane found the version loads on. */
  provider: string;
  /** Shadow-only: runs on low-priority threads. */
  lowPriority: boolean;
  /** Absent when the shard holds `key` already. */
  load?: VersionLoad;
}

/** A model's next state: its traffic policy over the versions to hold. No versions: the model goes. */
export interface ModelChange {
  name: string;
  revision: number;
  policy: ResolvedPolicy;
  versions: VersionEntry[];
}

export interface PrepareResult {
  /** Versions this shard could not load, with why. */
  failed: Array<{ version: string; reason: string }>;
}

export interface ListenResult {
  http: number;
  grpc?: number;
}

export type ShardMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

/** Main thread → shard, each answered (the answer's type in the comment). */
export type ShardRequest =
  /** Load the versions it lacks and stage the change; pinned requests may reach them at once. → PrepareResult */
  | { kind: 'prepare'; change: ModelChange }
  /** Switch the model to its staged change, drain what it no longer holds. → void, once drained */
  | { kind: 'commit'; model: string; revision: number }
  /** Drop a staged change. → void */
  | { kind: 'abort'; model: string; revision: number }
  /** Versions the control plane refused to serve, for the repository index. → void */
  | { kind: 'refused'; entries: RepositoryEntry[] }
  /** A replaced pool worker's port. → void */
  | { kind: 'pool-port'; key: string; slot: number; port: MessagePort }
  /** The record sink's port (again, after the sink thread was replaced). → void */
  | { kind: 'sink-port'; port: MessagePort }
  /** Serve on these ports (0: any; the gRPC port only for the shard that serves gRPC) and take requests. → ListenResult */
  | { kind: 'listen'; httpPort: number; grpcPort?: number }
  /** Its Prometheus series. → ShardMetrics */
  | { kind: 'metrics' }
  /** Readiness off; new requests refused (503 / UNAVAILABLE), accepted ones still answered. → void */
  | { kind: 'stop-accepting' }
  /** Refuse new requests, answer every accepted one, flush records, close. → void, then the thread ends */
  | { kind: 'drain' }
  /** Fault injection for tests and drills: the shard throws an uncaught error, as a bug would. → never answered */
  | { kind: 'crash' };

/** Shard → main thread, on the parent port. */
export interface ShardLogLine {
  kind: 'log';
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
}

/** What the main thread gives a shard when it starts. */
export interface ShardWorkerData {
  index: number;
  host: string;
  maxBodyBytes: number;
  pipelineDepth: number;
  shadowMaxInflight: number;
  recordInputsRate: number;
  recordInputsPerSecond: number;
  /** The record sink records go to, if any (its port arrives in a request). */
  sink?: 'grpc' | 'redis';
  logLevel: Level;
  /** How long the loop keeps polling after an answer before it may sleep (0: never). */
  idleSpinUs: number;
  control: MessagePort;
}
