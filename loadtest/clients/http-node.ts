/**
 * The stock Node HTTP clients behind the same contract, kept to measure what
 * the lean client (http.ts) saves: node:http with a keep-alive Agent, and
 * fetch (undici, bundled with Node 20). Each connection is one socket / one
 * request slot, so concurrency means the same thing for all three.
 */
import { Agent, request as httpRequest } from 'node:http';
import { httpClient, type HttpClientOptions } from './http.js';
import type { InferClient, InferConnection, Outcome } from './types.js';

export function nodeHttpClient(options: HttpClientOptions): InferClient {
  const headers = { ...options.body.headers, 'Content-Length': String(options.body.body.byteLength) };
  return {
    label: options.label,
    connect: async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      return slot((done) => {
        const req = httpRequest({ host: options.host, port: options.port, path: options.path, method: 'POST', headers, agent }, (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode === 200 ? undefined : `http ${res.statusCode}`));
          res.on('error', () => done('response error'));
        });
        req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'request error'));
        req.end(options.body.body);
      }, () => agent.destroy());
    },
    probe: () => httpClient(options).probe(),
  };
}

export function fetchClient(options: HttpClientOptions): InferClient {
  const url = `http://${options.host}:${options.port}${options.path}`;
  const body = new Uint8Array(options.body.body);
  return {
    label: options.label,
    connect: async () =>
      slot((done) => {
        fetch(url, { method: 'POST', headers: options.body.headers, body }).then(
          async (res) => {
            await res.arrayBuffer();
            done(res.status === 200 ? undefined : `http ${res.status}`);
          },
          () => done('fetch error'),
        );
      }, () => {}),
    probe: () => httpClient(options).probe(),
  };
}

function slot(run: (done: (outcome: Outcome) => void) => void, close: () => void): InferConnection {
  let live = true;
  return {
    maxInflight: 1,
    get alive() {
      return live;
    },
    send: (done) => (live ? run(done) : done('closed')),
    close: () => {
      live = false;
      close();
    },
  };
}
