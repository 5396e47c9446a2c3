/** The watch stream: a snapshot (or a replay since a seq), `synced`, then one event per change; reconnecting with Last-Event-ID misses nothing. */
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, call, READ_TOKEN, seedVersions, startTestRegistry, type TestRegistry } from './helpers.js';

interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

class SseClient {
  readonly events: SseEvent[] = [];
  private buffer = '';
  private waiters: (() => void)[] = [];
  ended = false;

  private constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let cut: number;
      while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
        const frame = this.buffer.slice(0, cut);
        this.buffer = this.buffer.slice(cut + 2);
        const fields: Record<string, string> = {};
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
        }
        if (fields.event) this.events.push({ ...(fields.id ? { id: fields.id } : {}), event: fields.event, data: JSON.parse(fields.data ?? 'null') });
      }
      this.wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  static open(base: string, path: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      get(`${base}${path}`, { headers }, (res) => resolve(new SseClient(res))).on('error', reject);
    });
  }

  async until(predicate: (events: SseEvent[]) => boolean, timeoutMs = 3000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.ended || Date.now() > deadline) throw new Error(`watch stream: condition not met; events: ${JSON.stringify(this.events.map((e) => [e.event, e.id]))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.events;
  }

  close(): void {
    this.res.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const synced = (events: SseEvent[]): boolean => events.some((e) => e.event === 'synced');

describe('registry watch stream', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry({ heartbeatMs: 100 });
    await seedVersions(reg.url, 'iris', 2);
    await seedVersions(reg.url, 'wine', 1);
  });
  after(() => reg.stop());

  it('needs a token like every read', async () => {
    assert.equal((await call(reg.url, 'GET', '/api/v1/watch')).status, 401);
    assert.equal((await call(reg.url, 'GET', '/api/v1/watch?since=x', { token: READ_TOKEN })).status, 400);
  });

  it('starts with a snapshot of every model, then delivers each change with its seq', async () => {
    const watcher = await SseClient.open(reg.url, '/api/v1/watch', { authorization: `Bearer ${READ_TOKEN}` });
    try {
      assert.match(String(watcher.res.headers['content-type']), /^text\/event-stream/);
      const first = await watcher.until(synced);
      assert.deepEqual(first.map((e) => [e.event, e.data.model?.name]), [['model', 'iris'], ['model', 'wine'], ['synced', undefined]]);
      assert.equal(first[2]!.id, '3');
      assert.equal(first[2]!.data.seq, 3);
      await call(reg.url, 'PUT', '/api/v1/models/iris/traffic', { token: ADMIN_TOKEN, body: { variants: [{ target: '1', weight: 75 }, { target: '2', weight: 25 }] } });
      const events = await watcher.until((es) => es.length === 4);
      const change = events[3]!;
      assert.deepEqual([change.event, change.id, change.data.action, change.data.model.name, change.data.model.revision], ['model', '4', 'traffic.set', 'iris', 3]);
      assert.deepEqual(change.data.model.traffic.variants, [{ target: '1', weight: 75 }, { target: '2', weight: 25 }]);
    } finally {
      watcher.close();
    }
  });

  it('replays only what changed after Last-Event-ID (or ?since=), so a reconnecting gateway misses nothing', async () => {
    await call(reg.url, 'PUT', '/api/v1/models/wine/aliases/canary', { token: ADMIN_TOKEN, body: { version: '1' } });
    const resumed = await SseClient.open(reg.url, '/api/v1/watch', { authorization: `Bearer ${READ_TOKEN}`, 'last-event-id': '4' });
    try {
      const events = await resumed.until(synced);
      assert.deepEqual(events.map((e) => [e.event, e.data.model?.name, e.data.model?.aliases?.canary]), [['model', 'wine', '1'], ['synced', undefined, undefined]]);
    } finally {
      resumed.close();
    }
    const fresh = await SseClient.open(reg.url, '/api/v1/watch?since=5', { authorization: `Bearer ${READ_TOKEN}` });
    try {
      assert.deepEqual((await fresh.until(synced)).map((e) => e.event), ['synced'], 'up to date: nothing to replay');
    } finally {
      fresh.close();
    }
    const foreign = await SseClient.open(reg.url, '/api/v1/watch?since=999', { authorization: `Bearer ${READ_TOKEN}` });
    try {
      assert.equal((await foreign.until(synced)).length, 3, 'a seq from the future means another registry: full snapshot');
    } finally {
      foreign.close();
    }
  });

  it('ends open streams when the registry closes', async () => {
    const other = await startTestRegistry();
    const watcher = await SseClient.open(other.url, '/api/v1/watch', { authorization: `Bearer ${ADMIN_TOKEN}` });
    await watcher.until(synced);
    await other.stop();
    await watcher.until(() => watcher.ended);
  });
});
