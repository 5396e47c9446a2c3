/**
 * The `/metrics` endpoint every Switchyard process exposes (Prometheus text
 * format). Scrapes are rare, so plain node:http keeps this out of the data path.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export class MetricsServer {
  private readonly server: Server;

  constructor(registry: Registry) {
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
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
