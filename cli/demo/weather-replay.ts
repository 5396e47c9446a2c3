/**
 * Replays weather days through the gateway in time order, one inference request a day at a fixed
 * pace, and posts each day's true weather as feedback `labelDelayDays` days later — the way
 * ground truth arrives in production: late, and only for what was predicted. Keeps, per version
 * that answered, how often it was right, for the narration.
 */
import { WEATHER_CLASSES, WEATHER_FEATURES, type WeatherDay } from './seattle-weather.js';

export interface ReplayOptions {
  gatewayUrl: string;
  model: string;
  daysPerSecond: number;
  labelDelayDays: number;
  /** Called after each day is answered; returning false stops the replay. */
  onDay(day: WeatherDay, answer: DayAnswer): boolean | Promise<boolean>;
}

export interface DayAnswer {
  version: string;
  role: string;
  predicted: number;
}

export interface VersionTally {
  served: number;
  correct: number;
}

export class WeatherReplay {
  /** Per version: days answered and days answered right (known once the label is posted). */
  readonly tally = new Map<string, VersionTally>();
  failures = 0;

  constructor(private readonly options: ReplayOptions) {}

  async run(days: readonly WeatherDay[]): Promise<number> {
    const { daysPerSecond, labelDelayDays } = this.options;
    const pending: { day: WeatherDay; answer: DayAnswer }[] = [];
    const started = Date.now();
    let replayed = 0;
    for (const [i, day] of days.entries()) {
      const due = started + (i * 1000) / daysPerSecond;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const answer = await this.infer(day);
      replayed++;
      if (answer) {
        pending.push({ day, answer });
        const tally = this.tally.get(answer.version) ?? { served: 0, correct: 0 };
        this.tally.set(answer.version, tally);
        tally.served++;
        if (answer.predicted === day.label) tally.correct++;
      }
      while (pending.length > labelDelayDays) await this.feedback(pending.shift()!.day);
      if (answer && !(await this.options.onDay(day, answer))) break;
    }
    for (const { day } of pending) await this.feedback(day);
    return replayed;
  }

  private async infer(day: WeatherDay): Promise<DayAnswer | undefined> {
    const { gatewayUrl, model } = this.options;
    const res = await fetch(`${gatewayUrl}/v2/models/${model}/infer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: day.date, inputs: [{ name: 'features', shape: [1, WEATHER_FEATURES.length], datatype: 'FP32', data: day.features }] }),
    });
    const body = (await res.json()) as { model_version?: string; parameters?: { role?: string }; outputs?: { data: number[] }[]; error?: string };
    if (!res.ok || !body.outputs?.[0]) {
      this.failures++;
      return undefined;
    }
    const probabilities = body.outputs[0].data;
    let predicted = 0;
    for (let k = 1; k < WEATHER_CLASSES.length; k++) if (probabilities[k]! > probabilities[predicted]!) predicted = k;
    return { version: body.model_version ?? '?', role: body.parameters?.role ?? '?', predicted };
  }

  private async feedback(day: WeatherDay): Promise<void> {
    const res = await fetch(`${this.options.gatewayUrl}/v2/models/${this.options.model}/feedback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ id: day.date, label: day.label }]),
    });
    if (!res.ok) this.failures++;
    await res.body?.cancel();
  }
}
