/**
 * Turns served requests and feedback into records for the monitor. Inputs are
 * kept for a sampled share of requests (they are the bulk of a record);
 * outputs, latency and status always. Tensor bytes are views, not copies.
 */
import { toBytes } from '../inference/tensor.js';
import type { InputTensor, OutputTensor, Role } from '../inference/types.js';
import type { TensorRecord } from '../../runtime/records.js';
import type { Outcome } from '../events.js';
import type { RecordPublisher } from './record-publisher.js';

export interface FeedbackItem {
  id: string;
  labels: number[];
}

export class PredictionRecorder {
  constructor(
    private readonly publisher: RecordPublisher,
    /** Share of requests whose inputs are recorded, 0-1. */
    private readonly inputSampleRate: number,
  ) {}

  served(id: string, model: string, version: string, role: Role, inputs: readonly InputTensor[], outputs: readonly OutputTensor[], seconds: number, status: Outcome): void {
    const sampled = this.inputSampleRate >= 1 || Math.random() < this.inputSampleRate;
    this.publisher.publishPrediction({
      id,
      model,
      version,
      role,
      time_ms: Date.now(),
      inputs: sampled ? inputs.map(tensorRecord) : [],
      outputs: outputs.map(tensorRecord),
      latency_us: Math.round(seconds * 1e6),
      status,
    });
  }

  feedback(model: string, items: readonly FeedbackItem[]): void {
    const time_ms = Date.now();
    for (const item of items) this.publisher.publishFeedback({ id: item.id, model, labels: item.labels, time_ms });
  }
}

function tensorRecord(t: InputTensor | OutputTensor): TensorRecord {
  return { name: t.name, datatype: t.datatype, shape: t.shape, data: toBytes(t.data) };
}
