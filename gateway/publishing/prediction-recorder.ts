/**
 * Turns served requests and feedback into records for the monitor. Inputs are
 * kept for a sampled share of requests, at most so many per second (they are
 * the bulk of a record); outputs, latency and status always. Answered requests
 * are recorded per ONNX run, as one group with the run's outputs; a request
 * that failed is recorded alone. The publisher encodes the tensors' bytes into
 * the batch at once, so nothing of the request outlives the call.
 */
import { performance } from 'node:perf_hooks';
import type { InputTensor, OutputTensor, Role } from '../inference/types.js';
import type { Outcome } from '../events.js';
import type { InputBudget } from './input-budget.js';
import type { RecordPublisher } from './record-publisher.js';

export interface FeedbackItem {
  id: string;
  labels: number[];
}

/** A request to be recorded once its batch has run: what the batch alone does not know. */
export interface RecordedRequest {
  readonly id: string;
  readonly role: Role;
  /** performance.now() when the request reached the service. */
  readonly started: number;
  readonly inputs: readonly InputTensor[];
  readonly rows: number;
}

const NONE: readonly InputTensor[] = [];
const OVER_BUDGET = 'over budget';

export class PredictionRecorder {
  constructor(
    private readonly publisher: RecordPublisher,
    /** Share of requests whose inputs are recorded, 0-1. */
    private readonly inputSampleRate: number,
    private readonly inputBudget: InputBudget,
    /** Sampled requests whose inputs were left out because the budget was spent. */
    private readonly inputsOverBudget: (requests: number) => void,
  ) {}

  /** The answered requests of one ONNX run; `outputs` are the run's, the requests' rows in order. */
  servedGroup(model: string, version: string, requests: readonly RecordedRequest[], outputs: readonly OutputTensor[]): void {
    const now = performance.now();
    const latencyUs: number[] = [];
    const sampled: boolean[] = [];
    let overBudget = 0;
    for (const r of requests) {
      latencyUs.push(Math.round((now - r.started) * 1000));
      const kept = this.keepsInputs();
      if (kept === OVER_BUDGET) overBudget++;
      sampled.push(kept === true);
    }
    if (overBudget > 0) this.inputsOverBudget(overBudget);
    this.publisher.publishGroup({ model, version, timeMs: Date.now(), requests, latencyUs, sampled, outputs });
  }

  /** One request on its own: a failed one, or one whose batch could not be recorded as a group. */
  served(id: string, model: string, version: string, role: Role, inputs: readonly InputTensor[], outputs: readonly OutputTensor[], seconds: number, status: Outcome): void {
    const kept = this.keepsInputs();
    if (kept === OVER_BUDGET) this.inputsOverBudget(1);
    this.publisher.publishPrediction({ id, model, version, role, timeMs: Date.now(), inputs: kept === true ? inputs : NONE, outputs, latencyUs: Math.round(seconds * 1e6), status });
  }

  feedback(model: string, items: readonly FeedbackItem[]): void {
    const timeMs = Date.now();
    for (const item of items) this.publisher.publishFeedback(item.id, model, item.labels, timeMs);
  }

  /** Whether a request's inputs are recorded: true, false (not sampled) or OVER_BUDGET (sampled, but the budget is spent). */
  private keepsInputs(): boolean | typeof OVER_BUDGET {
    if (this.inputSampleRate < 1 && Math.random() >= this.inputSampleRate) return false;
    return this.inputBudget.take() || OVER_BUDGET;
  }
}
