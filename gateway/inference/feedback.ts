/** Ground-truth labels as callers send them: `[{"id": "<request id>", "label": 1}, ...]`, a label per row. */
import { SwitchyardError } from '../../runtime/errors.js';
import type { FeedbackItem } from '../publishing/prediction-recorder.js';

const MAX_ITEMS = 10_000;

function invalid(message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_INVALID_REQUEST', message);
}

export function parseFeedback(raw: unknown): FeedbackItem[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalid('feedback must be a non-empty JSON list of {"id": "<inference request id>", "label": <number or list of numbers, one per row>}');
  if (raw.length > MAX_ITEMS) throw invalid(`feedback holds ${raw.length} items; send at most ${MAX_ITEMS} per request`);
  return raw.map((item, i) => {
    if (typeof item !== 'object' || item === null) throw invalid(`feedback[${i}] must be an object with "id" and "label"`);
    const { id, label } = item as Record<string, unknown>;
    if (typeof id !== 'string' || id === '') throw invalid(`feedback[${i}].id must be the inference request's id (a non-empty string)`);
    const labels = Array.isArray(label) ? label : [label];
    if (labels.length === 0 || !labels.every((l) => typeof l === 'number' && Number.isFinite(l))) {
      throw invalid(`feedback[${i}].label must be a number (class index or target value) or a list of numbers, one per row; got ${JSON.stringify(label)}`);
    }
    return { id, labels: labels as number[] };
  });
}
