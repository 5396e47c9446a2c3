/** A server's window read off two edge samples: CPU, the client's and the machine's noise, mean batch, outcomes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetrics } from '../../loadtest/gateway-metrics.js';
import { serverWindow, type EdgeSample } from '../../loadtest/server-window.js';

const metrics = (rows: number, batches: number, ok: number, full: number) =>
  parseMetrics(
    [
      `switchyard_batch_size_rows_sum{model="mlp",version="1"} ${rows}`,
      `switchyard_batch_size_rows_count{model="mlp",version="1"} ${batches}`,
      `switchyard_requests_total{model="mlp",version="1",role="stable",protocol="grpc",status="OK"} ${ok}`,
      `switchyard_requests_total{model="mlp",version="1",role="stable",protocol="grpc",status="SY_ERR_QUEUE_FULL"} ${full}`,
    ].join('\n'),
  );

/** At `at` ms: the server's CPU, ours and our reaped children's, the machine's busy time (seconds), and the gateway's counters. */
const edge = (at: number, server: number, self: number, children: number, busy: number, counters: Parameters<typeof metrics>): EdgeSample => ({
  at,
  server: { ownSeconds: server, childrenSeconds: 0 },
  self: { ownSeconds: self, childrenSeconds: children },
  machine: { busySeconds: busy },
  metrics: metrics(...counters),
});

const before = edge(1_000, 10, 1, 5, 100, [1_000, 100, 900, 2]);

describe('server-window', () => {
  it('takes differences over the window; other processes get what is left of the machine', () => {
    const w = serverWindow(before, edge(4_000, 14.5, 1.1, 6.2, 106.4, [4_000, 200, 3_800, 12]), 'mlp', 'grpc');
    assert.equal(w.serverCpuSeconds, 4.5);
    assert.ok(Math.abs(w.clientCpuSeconds! - 1.2) < 1e-9);
    assert.ok(Math.abs(w.otherCores! - (6.4 - 4.5 - 1.2 - 0.1) / 3) < 1e-9);
    assert.equal(w.meanBatch, 30);
    assert.deepEqual(w.outcomes, { OK: 2_900, SY_ERR_QUEUE_FULL: 10 });
  });

  it('leaves out what it could not read: no /metrics (a baseline server), a server gone', () => {
    const w = serverWindow({ at: 0 }, { at: 1_000 }, 'mlp', 'http');
    assert.deepEqual(w, {});
    const noRuns = serverWindow(before, { ...before, at: 2_000 }, 'mlp', 'grpc');
    assert.equal(noRuns.meanBatch, undefined);
    assert.deepEqual(noRuns.outcomes, {});
  });
});
