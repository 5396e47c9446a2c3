/**
 * What the monitor knows of a model's versions (GET /api/v1/status, see
 * monitor/status/status-view.ts): accuracy over its quality window with the
 * labelled rows behind it, and the share of drifted features. The count window
 * is read, or the time window while the count window is empty.
 */
import { fetchSource } from './fetch-source.js';
import type { MonitorStatus, VersionStatus } from '../../monitor/status/status-view.js';

export interface VersionQuality {
  /** Classifiers only; undefined for a regressor or before any label. */
  accuracy?: number;
  labels: number;
  /** Share of drifted features in the latest drift window; undefined without drift figures. */
  drifted_share?: number;
}

export type MonitorReading = { ok: true; versions: Map<string, VersionQuality> } | { ok: false; problem: string };

export async function readMonitor(monitorUrl: string | undefined, model: string, fetchJson: (url: string) => Promise<unknown> = getJson): Promise<MonitorReading> {
  if (!monitorUrl) return { ok: false, problem: 'no monitor configured (--monitor URL)' };
  const url = `${monitorUrl.replace(/\/+$/, '')}/api/v1/status`;
  let status: MonitorStatus;
  try {
    status = (await fetchJson(url)) as MonitorStatus;
  } catch (err) {
    return { ok: false, problem: `monitor at ${url} unreachable: ${(err as Error).message}` };
  }
  if (typeof status !== 'object' || status === null || typeof status.models !== 'object' || status.models === null) {
    return { ok: false, problem: `monitor at ${url} answered without a "models" object` };
  }
  const versions = new Map<string, VersionQuality>();
  for (const [version, v] of Object.entries(status.models[model]?.versions ?? {})) versions.set(version, qualityOf(v));
  return { ok: true, versions };
}

export function qualityOf(v: VersionStatus): VersionQuality {
  const count = v.quality?.count;
  const window = count && count.samples > 0 ? count : (v.quality?.time ?? count);
  const out: VersionQuality = { labels: window?.samples ?? 0 };
  if (window && window.kind === 'classifier' && typeof window.accuracy === 'number') out.accuracy = window.accuracy;
  const drift = v.drift?.count ?? v.drift?.time;
  if (drift && typeof drift.share === 'number') out.drifted_share = drift.share;
  return out;
}

async function getJson(url: string): Promise<unknown> {
  return (await fetchSource(url)).json();
}
