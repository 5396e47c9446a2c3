/** The rollout's arithmetic: interval deltas off scrapes (counter resets, new series, replicas), p99 by bucket interpolation, the guards, policies. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeStep } from '../../../models/rollout/rollout-guards.js';
import { DEFAULT_ROLLOUT_POLICY, parseRolloutPolicies } from '../../../models/rollout/rollout-policy.js';
import { parseExposition } from '../../../models/rollout/prometheus-text.js';
import { GatewayScraper, histogramQuantile, isServerError, type VersionTraffic } from '../../../models/rollout/traffic-figures.js';
import type { MonitorReading } from '../../../models/rollout/monitor-figures.js';

const POLICY = { ...DEFAULT_ROLLOUT_POLICY, min_requests: 50, min_labels: 50 };
const NO_MONITOR: MonitorReading = { ok: false, problem: 'no monitor configured (--monitor URL)' };

/** A gateway exposition: requests by version/status, and OK latencies all in one bucket per version. */
function exposition(series: Array<{ version: string; status?: string; role?: string; count: number; le?: string }>): string {
  const lines = ['# HELP switchyard_requests_total x', '# TYPE switchyard_requests_total counter'];
  for (const s of series) {
    lines.push(`switchyard_requests_total{model="m",version="${s.version}",role="${s.role ?? 'stable'}",protocol="http",status="${s.status ?? 'OK'}"} ${s.count}`);
    if ((s.status ?? 'OK') === 'OK' && s.le) {
      for (const le of ['0.001', '0.005', '0.01', '+Inf']) {
        const inside = le === '+Inf' || Number(le) >= Number(s.le);
        lines.push(`switchyard_request_duration_seconds_bucket{model="m",version="${s.version}",role="${s.role ?? 'stable'}",protocol="http",le="${le}"} ${inside ? s.count : 0}`);
      }
    }
  }
  lines.push('switchyard_requests_total{model="other",version="1",role="stable",protocol="http",status="OK"} 999');
  return lines.join('\n') + '\n';
}

function traffic(requests: number, errors: number, answeredIn: Record<string, number> = {}): VersionTraffic {
  const buckets: Record<string, number> = {};
  let cumulative = 0;
  for (const le of ['0.001', '0.005', '0.01', '0.05']) {
    cumulative += answeredIn[le] ?? 0;
    buckets[le] = cumulative;
  }
  buckets['+Inf'] = cumulative + (answeredIn['+Inf'] ?? 0);
  return { requests, errors, buckets };
}

describe('interval figures from gateway scrapes', () => {
  it('baselines first, then deltas per version summed over replicas; shadows and other models left out', async () => {
    const pages = new Map<string, string[]>([
      ['a', [exposition([{ version: '1', count: 100, le: '0.005' }]), exposition([{ version: '1', count: 160, le: '0.005' }, { version: '2', role: 'canary', count: 7, le: '0.001' }, { version: '2', role: 'canary', status: 'SY_ERR_MODEL_EXECUTION', count: 3 }, { version: '2', role: 'shadow', count: 50, le: '0.001' }])]],
      ['b', [exposition([{ version: '1', count: 10, le: '0.005' }]), exposition([{ version: '1', count: 30, le: '0.005' }, { version: '2', role: 'canary', status: 'SY_ERR_INVALID_TENSOR', count: 4 }])]],
    ]);
    const scraper = new GatewayScraper('m', ['a', 'b'], async (url) => pages.get(url)!.shift()!);
    const first = await scraper.scrape();
    assert.equal(first.baselined, 2);
    assert.equal(first.versions.size, 0, 'the first scrape only sets the baseline');
    const second = await scraper.scrape();
    assert.deepEqual(second.versions.get('1'), { requests: 80, errors: 0, buckets: { '0.005': 80, '0.01': 80, '+Inf': 80 } });
    // canary: 7 OK + 3 server errors on a; 4 client errors on b (requests, not errors); the shadow's 50 are not counted.
    assert.deepEqual(second.versions.get('2'), { requests: 14, errors: 3, buckets: { '0.001': 7, '0.005': 7, '0.01': 7, '+Inf': 7 } });
  });

  it('a counter lower than last time is a reset: the new value is the delta', async () => {
    const pages = [exposition([{ version: '1', count: 500, le: '0.005' }]), exposition([{ version: '1', count: 520, le: '0.005' }]), exposition([{ version: '1', count: 12, le: '0.005' }])];
    const scraper = new GatewayScraper('m', ['a'], async () => pages.shift()!);
    await scraper.scrape();
    assert.equal((await scraper.scrape()).versions.get('1')?.requests, 20);
    const afterRestart = (await scraper.scrape()).versions.get('1')!;
    assert.equal(afterRestart.requests, 12);
    assert.equal(afterRestart.buckets['+Inf'], 12);
  });

  it('an unreachable gateway is reported and baselined again when it is back', async () => {
    let down = false;
    let count = 0;
    const scraper = new GatewayScraper('m', ['a'], async () => {
      if (down) throw new Error('ECONNREFUSED');
      count += 10;
      return exposition([{ version: '1', count, le: '0.005' }]);
    });
    await scraper.scrape();
    down = true;
    const failed = await scraper.scrape();
    assert.equal(failed.reached, 0);
    assert.match(failed.problems[0]!, /ECONNREFUSED/);
    down = false;
    assert.equal((await scraper.scrape()).baselined, 1, 'back: a new baseline, not a two-interval delta');
    assert.equal((await scraper.scrape()).versions.get('1')?.requests, 10);
  });

  it('server errors are the 5xx kinds; client errors and overload are not', () => {
    for (const code of ['SY_ERR_MODEL_EXECUTION', 'SY_ERR_INTERNAL', 'SY_ERR_DEADLINE_EXCEEDED', 'SY_ERR_MODEL_NOT_READY', 'SY_ERR_WORKER_CRASHED', 'SY_ERR_SOMETHING_NEW']) assert.equal(isServerError(code), true, code);
    for (const code of ['OK', 'SY_ERR_INVALID_TENSOR', 'SY_ERR_MODEL_NOT_FOUND', 'SY_ERR_QUEUE_FULL', 'SY_ERR_BODY_TOO_LARGE']) assert.equal(isServerError(code), false, code);
  });
});

describe('p99 by bucket interpolation (as histogram_quantile)', () => {
  it('interpolates linearly inside the bucket the rank falls in', () => {
    assert.ok(Math.abs(histogramQuantile(0.99, { '0.1': 50, '0.2': 90, '0.5': 100, '+Inf': 100 }) - 0.47) < 1e-12);
    assert.ok(Math.abs(histogramQuantile(0.5, { '0.1': 50, '0.2': 90, '0.5': 100, '+Inf': 100 }) - 0.1) < 1e-12);
  });
  it('the first bucket starts at 0; the +Inf bucket answers the largest finite bound', () => {
    assert.ok(Math.abs(histogramQuantile(0.99, { '0.1': 100, '+Inf': 100 }) - 0.099) < 1e-12);
    assert.equal(histogramQuantile(0.99, { '0.1': 10, '+Inf': 100 }), 0.1);
  });
  it('NaN without observations or without a +Inf bucket', () => {
    assert.ok(Number.isNaN(histogramQuantile(0.99, { '0.1': 0, '+Inf': 0 })));
    assert.ok(Number.isNaN(histogramQuantile(0.99, { '0.1': 5, '0.2': 5 })));
  });
});

describe('guards', () => {
  const versions = { stable: '1', canary: '2' };

  it('holds while the canary has fewer than min_requests, whatever its errors', () => {
    const v = judgeStep(POLICY, versions, { stable: traffic(900, 0, { '0.005': 900 }), canary: traffic(49, 49) }, NO_MONITOR);
    assert.equal(v.outcome, 'hold');
    assert.match(v.reason, /waiting for samples: canary v2 has 49 of 50 requests/);
  });

  it('passes a canary like stable; p99 judged once both have min_requests answered; monitor guards not judged without it', () => {
    const v = judgeStep(POLICY, versions, { stable: traffic(500, 0, { '0.005': 500 }), canary: traffic(60, 0, { '0.005': 60 }) }, NO_MONITOR);
    assert.equal(v.outcome, 'pass', v.reason);
    const p99 = v.checks.find((c) => c.guard === 'p99_ratio')!;
    assert.equal(p99.judged, true);
    assert.ok(Math.abs(p99.value! - 1) < 1e-12);
    const accuracy = v.checks.find((c) => c.guard === 'accuracy_ratio')!;
    assert.equal(accuracy.judged, false);
    assert.match(accuracy.detail, /no monitor configured/);
  });

  it('fails on the server error share', () => {
    const v = judgeStep(POLICY, versions, { stable: traffic(500, 0, { '0.005': 500 }), canary: traffic(100, 2, { '0.005': 98 }) }, NO_MONITOR);
    assert.equal(v.outcome, 'fail');
    assert.match(v.reason, /error_rate 0\.02 > 0\.01 \(2 of 100 canary requests failed server-side\)/);
  });

  it('fails on p99 ratio, and leaves it unjudged with too few answered requests', () => {
    const slow = judgeStep(POLICY, versions, { stable: traffic(500, 0, { '0.001': 500 }), canary: traffic(100, 0, { '0.01': 100 }) }, NO_MONITOR);
    assert.equal(slow.outcome, 'fail');
    assert.match(slow.reason, /p99_ratio/);
    const few = judgeStep(POLICY, versions, { stable: traffic(500, 0, { '0.001': 500 }), canary: traffic(60, 0, { '0.01': 40 }) }, NO_MONITOR);
    assert.equal(few.checks.find((c) => c.guard === 'p99_ratio')!.judged, false);
  });

  it('accuracy ratio judged only with min_labels on both; drifted share when the policy sets it', () => {
    const window = { stable: traffic(500, 0, { '0.005': 500 }), canary: traffic(60, 0, { '0.005': 60 }) };
    const reading = (stableLabels: number, canaryAccuracy: number, drift?: number): MonitorReading => ({
      ok: true,
      versions: new Map([
        ['1', { accuracy: 0.9, labels: stableLabels }],
        ['2', { accuracy: canaryAccuracy, labels: 80, ...(drift === undefined ? {} : { drifted_share: drift }) }],
      ]),
    });
    assert.equal(judgeStep(POLICY, versions, window, reading(49, 0.5)).outcome, 'pass', 'too few stable labels: not judged');
    const worse = judgeStep(POLICY, versions, window, reading(50, 0.8));
    assert.equal(worse.outcome, 'fail');
    assert.match(worse.reason, /accuracy_ratio 0\.8889 < 0\.98/);
    assert.equal(judgeStep(POLICY, versions, window, reading(50, 0.89)).outcome, 'pass', '0.89 / 0.9 = 0.989 >= 0.98');
    const drifting = judgeStep({ ...POLICY, max_drifted_share: 0.3 }, versions, window, reading(50, 0.9, 0.5));
    assert.equal(drifting.outcome, 'fail');
    assert.match(drifting.reason, /drifted_share 0\.5 > 0\.3/);
  });
});

describe('rollout policy file', () => {
  it('fills defaults, falls back to "*", then to the built-in defaults; frozen', () => {
    const set = parseRolloutPolicies([{ model: '*', interval_s: 5 }, { model: 'fraud', steps: [5, 100], failure_limit: 0, max_drifted_share: 0.5 }], 'p.json');
    assert.deepEqual(set.forModel('fraud').steps, [5, 100]);
    assert.equal(set.forModel('fraud').max_drifted_share, 0.5);
    assert.equal(set.forModel('other').interval_s, 5);
    assert.equal(set.forModel('other').min_requests, 50);
    assert.equal(parseRolloutPolicies({ policies: [] }).forModel('x'), DEFAULT_ROLLOUT_POLICY);
    assert.ok(Object.isFrozen(set.forModel('fraud')) && Object.isFrozen(set.forModel('fraud').steps));
  });

  it('names the entry and the field that is wrong', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ model: 'x' }, /must be a JSON list of policies/],
      [[{ model: 'x', steps: [10, 50] }], /entry 0 \(model "x"\): the last step must be 100/],
      [[{ model: 'x', steps: [50, 25, 100] }], /strictly ascending, but steps\[1\] = 25 follows 50/],
      [[{ model: 'x', max_error_rate: 2 }], /"max_error_rate" must be a share from 0 to 1/],
      [[{ model: 'x', min_requests: 0.5 }], /"min_requests" must be an integer >= 1/],
      [[{ model: 'x', speed: 1 }], /entry 0: unknown field "speed"/],
      [[{ model: '../x' }], /"model" must be a model name or "\*"/],
      [[{ model: 'x' }, { model: 'x' }], /entry 1: model "x" has two entries/],
    ];
    for (const [raw, message] of bad) assert.throws(() => parseRolloutPolicies(raw, 'p.json'), message, JSON.stringify(raw));
  });
});

describe('Prometheus text parser', () => {
  it('reads labels with escapes, special values and timestamps; refuses a malformed line by number', () => {
    const samples = parseExposition('# HELP a b\na{x="q\\"uo\\\\te",y="n\\nl"} 1.5 1700000000000\nb +Inf\nc{} NaN\n');
    assert.deepEqual(samples[0], { name: 'a', labels: { x: 'q"uo\\te', y: 'n\nl' }, value: 1.5 });
    assert.equal(samples[1]!.value, Infinity);
    assert.ok(Number.isNaN(samples[2]!.value));
    assert.throws(() => parseExposition('ok 1\nbad{x="1" 2\n'), /metrics line 2/);
    assert.throws(() => parseExposition('x one\n'), /value "one" is not a number/);
  });
});
