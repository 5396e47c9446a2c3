/**
 * The HTTP transport limit: a bare uWebSockets.js server, one app per worker
 * thread on one shared port (uWS listens with SO_REUSEPORT, as the gateway's
 * shards do), that reads the whole inference request the gateway would get and
 * answers it with a fixed small body — no decoding, no model. What it serves
 * per second is the most any server on this transport can.
 *
 * Usage: node echo-http-server.js <threads> <port> [host]
 * Prints `echo-http ready <port>` on stdout once every thread listens. The
 * port must be given: a port the OS chose for one socket (port 0) is not
 * shared with the others.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createApp } from '../gateway/http/uws.js';
import { ECHO_HTTP_BODY } from './echo-answers.js';

interface ThreadData {
  host: string;
  port: number;
}

function serve({ host, port }: ThreadData): void {
  const app = createApp();
  app.post('/v2/models/:model/infer', (res) => {
    res.onAborted(() => {});
    // Consumed, not copied: the transport's own cost of taking the body in.
    res.onData((_chunk, last) => {
      if (last) res.cork(() => res.writeHeader('Content-Type', 'application/octet-stream').end(ECHO_HTTP_BODY));
    });
  });
  app.any('/*', (res) => void res.writeStatus('404 Not Found').end());
  app.listen(host, port, (socket) => {
    if (!socket) throw new Error(`echo-http: cannot listen on ${host}:${port}`);
    parentPort!.postMessage('listening');
  });
  // Closed from inside its own thread, so the thread ends with no uWS handle open (which aborts the process).
  parentPort!.once('message', () => {
    app.close();
    parentPort!.close();
  });
}

async function startThread(data: ThreadData): Promise<Worker> {
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  worker.on('error', (err) => {
    process.stderr.write(`echo-http thread failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

async function stop(workers: Worker[]): Promise<never> {
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve).postMessage('close'))));
  process.exit(0);
}

async function main(): Promise<void> {
  const [threadsArg, portArg, host = '127.0.0.1'] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const port = Number(portArg);
  if (!Number.isInteger(threads) || threads < 1 || !Number.isInteger(port) || port < 1) {
    process.stderr.write('usage: echo-http-server <threads> <port> [host]\n');
    process.exit(2);
  }
  const workers = await Promise.all(Array.from({ length: threads }, () => startThread({ host, port })));
  process.stdout.write(`echo-http ready ${port}\n`);
  process.once('SIGTERM', () => void stop(workers));
}

if (isMainThread) await main();
else serve(workerData as ThreadData);
