/**
 * The baseline a user writes by hand: a plain `node:http` server that loads
 * the model with onnxruntime-node (default session options) in the main
 * thread and calls `session.run` once per request — no batching, no worker
 * threads, no queue limit. JSON in and out in the Open Inference Protocol v2
 * format (`POST /v2/models/<name>/infer`, flat `data`), so the benchmark's
 * HTTP JSON client drives it unchanged.
 *
 * Usage: node naive-server.js <model.onnx> <model name> [host] [port]
 * Prints `naive ready <port>` on stdout once listening (port 0: OS-chosen).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ort from 'onnxruntime-node';

const [modelFile, modelName, host = '127.0.0.1', port = '0'] = process.argv.slice(2);
if (!modelFile || !modelName) {
  process.stderr.write('usage: naive-server <model.onnx> <model name> [host] [port]\n');
  process.exit(2);
}

const session = await ort.InferenceSession.create(modelFile);
const path = `/v2/models/${encodeURIComponent(modelName)}/infer`;

interface InferRequest {
  inputs: Array<{ name: string; shape: number[]; datatype: string; data: number[] }>;
}

function reply(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== path) return reply(res, 404, { error: 'not found' });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as InferRequest;
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of body.inputs) feeds[input.name] = new ort.Tensor('float32', Float32Array.from(input.data), input.shape);
      const results = await session.run(feeds);
      reply(res, 200, {
        model_name: modelName,
        outputs: Object.entries(results).map(([name, t]) => ({ name, datatype: 'FP32', shape: t.dims, data: Array.from(t.data as Float32Array) })),
      });
    } catch (err) {
      reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), host, () => {
  process.stdout.write(`naive ready ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
