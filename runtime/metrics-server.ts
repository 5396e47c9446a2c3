/**
 * The `/metrics` endpoint every Switchyard process exposes (Prometheus text
 * format). Scrapes are rare, so plain node:http keeps this out of the data path.
 */
import { createServer, type Server } from 'node:http';
import { closeNow, listen } from './node-http.js';

/** What the page is made of: a prom-client Registry, or anything that renders like one. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export class MetricsServer {
  private readonly server: Server;

  constructor(registry: MetricsSource) {
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'metrics are served at GET /metrics' }));
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: err.message })),
      );
    });
  }

  listen(host: string, port: number): Promise<number> {
    return listen(this.server, host, port);
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }
}
