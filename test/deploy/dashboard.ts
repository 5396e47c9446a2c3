/**
 * The Grafana dashboard's PromQL, read from deploy/grafana/switchyard-dashboard.json (the one
 * place the expressions live), with Grafana's variables substituted the way the dashboard's
 * "All" selection and defaults would: `$model` and `$version` become `.*` (used with `=~`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARD_PATH = `${REPO_ROOT}deploy/grafana/switchyard-dashboard.json`;

export interface DashboardTarget {
  panel: string;
  refId: string;
  expr: string;
  legendFormat: string;
}

interface Panel {
  type: string;
  title: string;
  panels?: Panel[];
  targets?: Array<{ refId: string; expr: string; legendFormat?: string }>;
}

/** What Grafana puts in for each variable: "All" for model/version, the defaults otherwise. */
export const VARIABLE_VALUES: Readonly<Record<string, string>> = {
  model: '.*',
  version: '.*',
  window: 'count',
  drift_test: 'psi',
  __rate_interval: '1m',
  __range: '5m',
};

export function loadDashboard(): { panels: Panel[]; templating: { list: Array<Record<string, unknown>> } } & Record<string, unknown> {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8'));
}

function flatten(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...flatten(p.panels ?? [])]);
}

export function dashboardTargets(): DashboardTarget[] {
  return flatten(loadDashboard().panels).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ panel: panel.title, refId: t.refId, expr: t.expr, legendFormat: t.legendFormat ?? '' })),
  );
}

/** The target of `panel` with `refId`; throws naming the panels there are when it is missing. */
export function dashboardTarget(panel: string, refId: string): DashboardTarget {
  const targets = dashboardTargets();
  const found = targets.find((t) => t.panel === panel && t.refId === refId);
  if (!found) throw new Error(`dashboard has no target ${refId} in panel "${panel}"; panels: ${[...new Set(targets.map((t) => t.panel))].join(', ')}`);
  return found;
}

/** `$name` / `${name}` replaced by `values`; throws when a variable is left without a value. */
export function substitute(expr: string, values: Readonly<Record<string, string>> = VARIABLE_VALUES): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = values[name];
    if (value === undefined) throw new Error(`dashboard variable ${whole} has no test value (in ${expr})`);
    return value;
  });
}

/** The switchyard_* metric names an expression reads, histogram suffixes stripped; recording rules (with ':') are not metrics. */
export function metricNames(expr: string): string[] {
  const names = expr.match(/\bswitchyard_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}
