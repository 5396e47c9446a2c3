/**
 * The Grafana dashboard as a file, without Grafana or Prometheus: importable JSON with the data
 * source as a variable, model/version variables from label_values, a panel for each thing issue 6
 * lists, and expressions whose variables all have values (prometheus.test.ts runs them).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dashboardTargets, loadDashboard, substitute } from './dashboard.js';

const DS = { type: 'prometheus', uid: '${datasource}' };

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: unknown;
  targets?: Array<{ datasource?: unknown; expr: string; refId: string }>;
}

describe('deploy/grafana/switchyard-dashboard.json', () => {
  const dashboard = loadDashboard() as unknown as { uid: string; schemaVersion: number; panels: Panel[]; templating: { list: Array<Record<string, any>> } };

  it('has the data source as a variable and model/version variables from label_values', () => {
    assert.equal(dashboard.uid, 'switchyard');
    assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(vars.datasource?.type, 'datasource');
    assert.equal(vars.datasource?.query, 'prometheus');
    for (const name of ['model', 'version']) {
      assert.equal(vars[name]?.type, 'query');
      assert.deepEqual(vars[name].datasource, DS);
      assert.match(vars[name].definition, /^label_values\(switchyard_requests_total/);
      assert.equal(vars[name].allValue, '.*');
      assert.equal(vars[name].multi, true);
    }
  });

  it('every panel and query uses the datasource variable; ids are unique; panels fit the 24-column grid', () => {
    const ids = new Set<number>();
    for (const p of dashboard.panels) {
      assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
      ids.add(p.id);
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} overflows the grid`);
      if (p.type === 'row') continue;
      assert.deepEqual(p.datasource, DS, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
      for (const t of p.targets ?? []) assert.deepEqual(t.datasource, DS, `${p.title} ${t.refId}`);
    }
  });

  it('has a panel for each signal of issue 6', () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const title of [
      'Request rate', 'Errors by status', 'Latency p50 / p99', 'Queue depth', 'Batch size', 'Worker utilisation',
      'Traffic split (observed)', 'Dataset drift share', 'Accuracy per version', 'Records published and dropped (gateways)', 'Rollout state',
    ]) assert.ok(titles.includes(title), `no panel "${title}"`);
  });

  it('filters on $model and $version with regex matchers (so "All" = .* works) and leaves no variable without a value', () => {
    for (const t of dashboardTargets()) {
      assert.doesNotMatch(t.expr, /[^~]="\$(model|version)"/, `${t.panel} ${t.refId} compares $model/$version with =, not =~`);
      assert.doesNotThrow(() => substitute(t.expr), `${t.panel} ${t.refId}`);
    }
  });
});
