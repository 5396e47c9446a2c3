/**
 * The monitor's HTTP port (8010): GET /api/v1/status (JSON), GET /api/v1/models/{model}/labeled-data
 * (CSV), GET /healthz, GET /metrics (Prometheus text). Rarely called, so plain node:http, away
 * from the ingest path.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { closeNow, listen } from '../../runtime/node-http.js';
import { LABELED_DATA_PATH, labeledDataReply, type LabeledDataSource } from './labeled-data-route.js';

export class StatusServer {
  private readonly server: Server;

  constructor(registry: Registry, status: () => unknown, labeledData: LabeledDataSource, healthy: () => boolean) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: `${req.method} is not allowed: the monitor's HTTP API is read-only (GET)` });
      if (path === '/api/v1/status') return json(res, 200, status());
      const labeled = LABELED_DATA_PATH.exec(path);
      if (labeled) {
        const reply = labeledDataReply(labeled[1]!, new URLSearchParams((req.url ?? '').slice(path.length + 1)), labeledData);
        if (reply.status !== 200) return json(res, reply.status, { error: reply.error });
        return void res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'X-Switchyard-Rows': String(reply.rows), 'X-Switchyard-Cursor': reply.cursor }).end(reply.csv);
      }
      if (path === '/healthz') return healthy() ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'shutting down' });
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
          (err: Error) => json(res, 500, { error: err.message }),
        );
        return;
      }
      json(res, 404, { error: `no route ${path}: GET /api/v1/status, /api/v1/models/{model}/labeled-data, /healthz or /metrics` });
    });
  }

  listen(host: string, port: number): Promise<number> {
    return listen(this.server, host, port);
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
