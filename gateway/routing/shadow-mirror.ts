/**
 * Mirrors requests to shadow versions after the primary answer is on its way.
 * A shadow never delays or fails the caller: its work is shed first (when too
 * much shadow work is in flight, or the primary itself has a queue), its
 * failures are only counted, and its answers are only compared.
 */
import type { ModelVersion } from '../inference/model-version.js';
import type { OutputTensor, InputTensor } from '../inference/types.js';
import { validateInputs } from '../inference/validate.js';

export type ShadowOutcome = 'agree' | 'disagree' | 'failed' | 'shed';

export interface ShadowObserver {
  shadowFinished(model: string, primaryVersion: string, shadowVersion: string, outcome: ShadowOutcome): void;
}

export class ShadowMirror {
  private inflight = 0;

  constructor(
    private readonly maxInflight: number,
    private readonly observer: ShadowObserver,
  ) {}

  /** Queues the copies for after the current turn, once the primary response has been written. */
  mirror(primary: ModelVersion, shadows: readonly ModelVersion[], inputs: readonly InputTensor[], answer: readonly OutputTensor[]): void {
    setImmediate(() => {
      for (const shadow of shadows) this.run(primary, shadow, inputs, answer);
    });
  }

  private run(primary: ModelVersion, shadow: ModelVersion, inputs: readonly InputTensor[], answer: readonly OutputTensor[]): void {
    const model = primary.manifest.name;
    const report = (outcome: ShadowOutcome): void => this.observer.shadowFinished(model, primary.manifest.version, shadow.manifest.version, outcome);
    if (this.inflight >= this.maxInflight || primary.queued > 0 || shadow.queued > 0) return report('shed');
    let validated;
    try {
      validated = validateInputs(shadow.manifest, inputs);
    } catch {
      return report('failed');
    }
    this.inflight++;
    shadow
      .infer(validated)
      .then(
        (outputs) => report(agrees(answer, outputs) ? 'agree' : 'disagree'),
        () => report('failed'),
      )
      .finally(() => this.inflight--);
  }
}

/**
 * Answers agree when the first output matches: the same class (arg-max) per row
 * for multi-column outputs, values within 1e-3 relative otherwise.
 */
export function agrees(primary: readonly OutputTensor[], shadow: readonly OutputTensor[]): boolean {
  const a = primary[0];
  const b = shadow.find((o) => o.name === a?.name) ?? shadow[0];
  if (!a || !b || a.data.length !== b.data.length || a.shape.length !== b.shape.length) return false;
  const columns = a.shape.length > 1 ? a.shape[a.shape.length - 1]! : 1;
  const x = a.data as ArrayLike<number | bigint>;
  const y = b.data as ArrayLike<number | bigint>;
  if (columns <= 1) {
    for (let i = 0; i < x.length; i++) {
      const p = Number(x[i]);
      if (Math.abs(p - Number(y[i])) > 1e-3 * Math.max(1, Math.abs(p))) return false;
    }
    return true;
  }
  for (let row = 0; row < x.length / columns; row++) if (argmax(x, row * columns, columns) !== argmax(y, row * columns, columns)) return false;
  return true;
}

function argmax(values: ArrayLike<number | bigint>, offset: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}
