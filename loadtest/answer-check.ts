/**
 * Each benchmark target's answer checked once before it is measured: the
 * target's exact request (wire-request.ts) sent once, the answer read in full
 * and compared with what it must be — raw ONNX Runtime's output for the same
 * row (within float tolerance) for a model server, the fixed answer for a
 * transport echo. A server that answers fast but wrong is not a result.
 */
import { httpExchange } from './clients/http.js';
import { H2GrpcConnection } from './clients/grpc.js';
import { decodeModelInferOutput } from './grpc-infer-message.js';
import { decodeHttpOutput } from './payload.js';
import type { WireRequest } from './wire-request.js';

/** Largest |answer − raw ORT| accepted, per value (FP32 outputs of the same model file). */
const TOLERANCE = 1e-5;

export type ExpectedAnswer = { kind: 'outputs'; output: string; values: readonly number[] } | { kind: 'fixed'; bytes: Buffer };

/** 'ok', or what was wrong. */
export function compareOutputs(answer: ArrayLike<number>, reference: readonly number[]): string {
  if (answer.length !== reference.length) return `MISMATCH (${answer.length} values, raw ORT ${reference.length})`;
  let worst = 0;
  for (let i = 0; i < answer.length; i++) worst = Math.max(worst, Math.abs(answer[i]! - reference[i]!));
  return worst <= TOLERANCE ? 'ok' : `MISMATCH (max |Δ| ${worst.toExponential(2)} > ${TOLERANCE})`;
}

/** The answer's message or body: HTTP needs a 2xx, gRPC grpc-status 0 (H2GrpcConnection.call rejects otherwise). */
async function answerOf(host: string, port: number, request: WireRequest): Promise<{ body: Buffer; headerLength?: number }> {
  if (request.wire === 'grpc') {
    const connection = await H2GrpcConnection.open(`http://${host}:${port}`, request.body);
    try {
      return { body: await connection.call() };
    } finally {
      connection.close();
    }
  }
  const answer = await httpExchange(host, port, request.path, request);
  if (answer.status < 200 || answer.status > 299) throw new Error(`HTTP ${answer.status}: ${answer.body.toString().slice(0, 200)}`);
  return answer;
}

export async function checkAnswer(host: string, port: number, request: WireRequest, expected: ExpectedAnswer): Promise<string> {
  try {
    const { body, headerLength } = await answerOf(host, port, request);
    if (expected.kind === 'fixed') return body.equals(expected.bytes) ? 'ok' : `MISMATCH (answer ${JSON.stringify(body.toString('latin1').slice(0, 60))})`;
    const values = request.wire === 'grpc' ? decodeModelInferOutput(body, expected.output) : decodeHttpOutput(body, headerLength, expected.output);
    return compareOutputs(values, expected.values);
  } catch (err) {
    return `FAILED (${err instanceof Error ? err.message : String(err)})`;
  }
}
