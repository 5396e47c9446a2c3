/**
 * The SRE kit against Debian's Prometheus 2 (installed by .ci/run; nothing is installed here):
 * promtool checks and unit-tests deploy/prometheus/rules.yml and checks the example scrape
 * config; `promtool check metrics` lints each process' live /metrics; then a real Prometheus,
 * configured from deploy/prometheus/prometheus.yml with loopback targets and a 1 s scrape,
 * scrapes a running stack and answers the dashboard's own request-rate and p99 expressions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { dashboardTarget, dashboardTargets, metricNames, REPO_ROOT, substitute } from './dashboard.js';
import { PrometheusServer, prometheusGate, promtool, type Sample } from './prometheus-server.js';
import { inferTabular, scrape, sendTraffic, startSwitchyardStack, type SwitchyardStack } from './switchyard-stack.js';
import { eventually } from '../helpers/poll.js';

const PROM_DIR = `${REPO_ROOT}deploy/prometheus`;
const gate = prometheusGate();

function ruleExpressions(): string[] {
  const rules = parse(readFileSync(`${PROM_DIR}/rules.yml`, 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
  return rules.groups.flatMap((g) => g.rules.map((r) => String(r.expr)));
}

/** Prometheus answers on its own schedule: poll every 250 ms. */
function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  return eventually(what, check, timeoutMs, 250);
}

function tabular(samples: Sample[]): Sample[] {
  return samples.filter((s) => s.metric.model === 'tabular' && Number.isFinite(s.value));
}

describe('deploy/prometheus with promtool', { skip: gate.skip }, () => {
  it('rules.yml passes `promtool check rules` and its unit tests; prometheus.yml passes `check config`', () => {
    assert.equal(gate.problem, undefined, gate.problem);
    for (const args of [
      ['check', 'rules', `${PROM_DIR}/rules.yml`],
      ['test', 'rules', `${PROM_DIR}/rules.test.yml`],
      ['check', 'config', `${PROM_DIR}/prometheus.yml`],
    ]) {
      const run = promtool(args);
      assert.equal(run.status, 0, `promtool ${args.join(' ')}:\n${run.output}`);
    }
  });
});

describe('a real Prometheus scraping a running stack', { skip: gate.skip, timeout: 90_000 }, () => {
  let stack: SwitchyardStack;
  const pages: Record<string, string> = {};

  before(async () => {
    assert.equal(gate.problem, undefined, gate.problem);
    stack = await startSwitchyardStack();
    await sendTraffic(stack.gateway, 60);
    await poll('the monitor to ingest 60 predictions', 10_000, async () => {
      const text = await scrape(`${stack.monitor.http}/metrics`);
      const m = /^switchyard_monitor_records_total\{kind="prediction"[^}]*\} (\d+)/m.exec(text);
      return m && Number(m[1]) >= 60 ? true : undefined;
    });
    stack.monitor.monitor.evaluate();
    for (const [job, target] of Object.entries(stack.targets)) pages[job] = await scrape(`http://${target}/metrics`);
  });

  after(async () => {
    await stack?.stop();
  });

  it('`promtool check metrics` passes on the /metrics of the gateway, the monitor and the registry', () => {
    for (const [job, text] of Object.entries(pages)) {
      const run = promtool(['check', 'metrics'], text);
      assert.equal(run.status, 0, `promtool check metrics on ${job} exited ${run.status}:\n${run.output}`);
    }
  });

  it('every switchyard_* metric the dashboard and the rules read is exported by one of the processes', () => {
    const exported = new Set(Object.values(pages).flatMap((text) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1])));
    const expressions = [...dashboardTargets().map((t) => t.expr), ...ruleExpressions()];
    const missing = [...new Set(expressions.flatMap(metricNames))].filter((name) => !exported.has(name));
    assert.deepEqual(missing, [], `read by the dashboard or rules but exported by no process: ${missing.join(', ')}`);
  });

  it("answers the dashboard's request-rate and p99 expressions, every dashboard expression and the recording rules", async () => {
    const example = parse(readFileSync(`${PROM_DIR}/prometheus.yml`, 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: unknown }> } & Record<string, unknown>;
    assert.deepEqual(example.scrape_configs.map((c) => c.job_name).sort(), Object.keys(stack.targets).sort());
    const config = {
      ...example,
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [`${PROM_DIR}/rules.yml`],
      scrape_configs: example.scrape_configs.map((c) => ({ ...c, static_configs: [{ targets: [stack.targets[c.job_name as keyof typeof stack.targets]] }] })),
    };
    const prometheus = await PrometheusServer.start(config);
    let sending = true;
    const traffic = (async () => {
      for (let i = 1000; sending; i++) {
        await inferTabular(stack.gateway, i);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      const up = await poll('all three jobs up', 15_000, async () => {
        const samples = await prometheus.query('up');
        return samples.length === 3 && samples.every((s) => s.value === 1) ? samples : undefined;
      });
      assert.deepEqual(up.map((s) => s.metric.job).sort(), Object.keys(stack.targets).sort());

      const rateExpr = substitute(dashboardTarget('Request rate', 'A').expr);
      const p50Expr = substitute(dashboardTarget('Latency p50 / p99', 'A').expr);
      const p99Expr = substitute(dashboardTarget('Latency p50 / p99', 'B').expr);
      assert.match(rateExpr, /^sum by \(model, version, role\) \(rate\(switchyard_requests_total\{model=~"\.\*", version=~"\.\*"\}\[1m\]\)\)$/);
      assert.match(p99Expr, /^histogram_quantile\(0\.99, .*switchyard_request_duration_seconds_bucket/);

      const rates = await poll(`samples for ${rateExpr}`, 20_000, async () => {
        const s = tabular(await prometheus.query(rateExpr)).filter((x) => x.value > 0);
        return s.length > 0 ? s : undefined;
      });
      const p99 = await poll(`samples for ${p99Expr}`, 20_000, async () => {
        const s = tabular(await prometheus.query(p99Expr)).filter((x) => x.value > 0);
        return s.length > 0 ? s : undefined;
      });
      const p50 = tabular(await prometheus.query(p50Expr));

      // Sequential requests with 20 ms pauses: well under 1000/s; one tabular row: under 2.5 s.
      for (const s of rates) assert.ok(s.value > 0 && s.value < 1000, `request rate ${s.value}/s for ${JSON.stringify(s.metric)}`);
      assert.ok(rates.some((s) => s.metric.version === '1' && s.metric.role !== undefined), JSON.stringify(rates));
      for (const s of p99) assert.ok(s.value > 0 && s.value < 2.5, `p99 ${s.value} s for ${JSON.stringify(s.metric)}`);
      for (const s of p50) {
        const same = p99.find((x) => x.metric.version === s.metric.version);
        if (same) assert.ok(s.value <= same.value, `p50 ${s.value} > p99 ${same.value}`);
      }

      // Every panel's query parses and runs; the monitor's panels have data too.
      for (const t of dashboardTargets()) await prometheus.query(substitute(t.expr));
      const accuracy = tabular(await prometheus.query(substitute(dashboardTarget('Accuracy per version', 'A').expr)));
      assert.ok(accuracy.length > 0 && accuracy.every((s) => s.value >= 0 && s.value <= 1), `accuracy ${JSON.stringify(accuracy)}`);
      const drift = tabular(await prometheus.query(substitute(dashboardTarget('Dataset drift share', 'A').expr)));
      assert.ok(drift.length > 0 && drift.every((s) => s.value >= 0 && s.value <= 1), `drift share ${JSON.stringify(drift)}`);

      // The recording rules are evaluated (every second here) over the same series.
      await poll('recording rules switchyard:requests:rate5m and :p99_5m', 10_000, async () => {
        const [r, q] = await Promise.all([prometheus.query('switchyard:requests:rate5m{model="tabular"} > 0'), prometheus.query('switchyard:request_duration_seconds:p99_5m{model="tabular"} > 0')]);
        return r.length > 0 && q.length > 0 ? true : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- prometheus log ---\n${prometheus.log}`, { cause: err });
    } finally {
      sending = false;
      await traffic;
      await prometheus.stop();
    }
  });
});
