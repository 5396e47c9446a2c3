/**
 * Turns served requests and feedback into records for the monitor. Inputs are
 * kept for a sampled share of requests, at most so many per second (they are
 * the bulk of a record); outputs, latency and status always. The publisher encodes the tensors'
 * bytes into the batch at once, so nothing of the request outlives this call.
 */
import type { InputTensor, OutputTensor, Role } from '../inference/types.js';
import type { Outcome } from '../events.js';
import type { InputBudget } from './input-budget.js';
import type { RecordPublisher } from './record-publisher.js';

export interface FeedbackItem {
  id: string;
  labels: number[];
}

const NONE: readonly InputTensor[] = [];

export class PredictionRecorder {
  constructor(
    private readonly publisher: RecordPublisher,
    /** Share of requests whose inputs are recorded, 0-1. */
    private readonly inputSampleRate: number,
    private readonly inputBudget: InputBudget,
    /** A sampled request whose inputs were left out because the budget was spent. */
    private readonly inputsOverBudget: () => void,
  ) {}

  served(id: string, model: string, version: string, role: Role, inputs: readonly InputTensor[], outputs: readonly OutputTensor[], seconds: number, status: Outcome): void {
    let sampled = this.inputSampleRate >= 1 || Math.random() < this.inputSampleRate;
    if (sampled && !this.inputBudget.take()) {
      sampled = false;
      this.inputsOverBudget();
    }
    this.publisher.publishPrediction(id, model, version, role, Date.now(), sampled ? inputs : NONE, outputs, Math.round(seconds * 1e6), status);
  }

  feedback(model: string, items: readonly FeedbackItem[]): void {
    const timeMs = Date.now();
    for (const item of items) this.publisher.publishFeedback(item.id, model, item.labels, timeMs);
  }
}
