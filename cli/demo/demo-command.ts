/**
 * `switchyard demo` (`npm run demo`): the loop on real data, no human in it. Starts the stack in
 * its own data directory with windows sized for a few hundred days, registers v1 of
 * `seattle-weather` trained on the first half of 2012, then replays the following days in time
 * order through the gateway, posting each day's true weather a few days later. Summer comes, the
 * monitor sees the inputs drift and fires the signed retraining webhook, the registry trains v2 on
 * the labelled days, and if v2 beats v1 on the newest of them it walks the canary steps to
 * promotion — or is rolled back. Everything it tells comes from the stack's public APIs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../runtime/log.js';
import { onShutdownSignal } from '../../runtime/shutdown.js';
import { buildProfile } from '../../monitor/drift/profile.js';
import { mlpForward } from '../../models/onnx/forward.js';
import { mlpToOnnx } from '../../models/onnx/writer.js';
import { trainClassifier } from '../../models/training/builtin-trainer.js';
import { RegistryClient } from '../operator/registry-client.js';
import { DEFAULT_PORT_BASE, startStack, waitForModel, type Stack } from '../stack.js';
import { Narrator, type DemoEvent } from './narrator.js';
import { loadSeattleWeather, WEATHER_CLASSES, WEATHER_FEATURES, type WeatherDay } from './seattle-weather.js';
import { WeatherReplay } from './weather-replay.js';

export const DEMO_MODEL = 'seattle-weather';
/** v1 learns from these days; the replay starts the day after. */
const FIRST_TRAINING_DAY = '2012-01-01';
const REPLAY_FROM = '2012-07-01';
const TRAINER = { algorithm: 'logistic', epochs: 300, learning_rate: 0.5, seed: 1 } as const;

const HELP = `usage: switchyard demo [options]

Replays Seattle's daily weather 2012-2015 (vega-datasets) through a fresh stack and narrates the
loop: drift, retraining webhook, training job, canary steps, promotion or roll-back.

  --data-dir DIR          the demo's own data directory, emptied first (default .switchyard-demo)
  --port-base N           ports as in 'switchyard up' (default ${DEFAULT_PORT_BASE}; stop 'npm start' first, or pick another)
  --days-per-second N     replay pace (default 20)
  --label-delay-days N    the true weather is posted this many days later (default 3)
  --until-outcome         stop at the first promotion or roll-back instead of the end of the data
  --json                  one JSON object per event on stdout
`;

/**
 * Sized for daily rows replayed at ~20 days/s: 30-row drift windows, two drifted in a row to
 * retrain, a cooldown of a few replayed months; only the stable version's drift counts (a canary
 * is judged by its rollout).
 */
function monitorPolicy(): unknown {
  return [{ model: DEMO_MODEL, conditions: [{ metric: 'drift_share', op: '>', threshold: 0.4, min_samples: 30, consecutive: 2, window: 'count' }], cooldown_s: 8, roles: ['stable'] }];
}

function trainingSpec(): unknown {
  return [{ model: DEMO_MODEL, trainer: { builtin: { ...TRAINER } }, data: { monitor: true, merge_previous: false, min_rows: 40 }, holdout_fraction: 0.25, margin: 0.02 }];
}

function rolloutPolicy(): unknown {
  return [{ model: DEMO_MODEL, steps: [25, 50, 100], interval_s: 2, min_requests: 8, max_error_rate: 0.01, max_p99_ratio: 5, min_accuracy_ratio: 0.9, min_labels: 8, failure_limit: 1 }];
}

async function writeJson(dir: string, file: string, value: unknown): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, JSON.stringify(value, null, 2));
  return path;
}

/** v1: the built-in trainer on the first half of 2012, registered through the registry API like any upload. */
async function registerFirstVersion(stack: Stack, days: readonly WeatherDay[]): Promise<DemoEvent> {
  const featureNames = [...WEATHER_FEATURES];
  const rows = days.length;
  const features = Float32Array.from(days.flatMap((d) => d.features));
  const labels = Float64Array.from(days, (d) => d.label);
  const { layers, metrics } = trainClassifier({ featureNames, rows, features, labels }, { ...TRAINER, classes: WEATHER_CLASSES.length });
  const probabilities = mlpForward(layers, features, rows);
  const predicted = Array.from({ length: rows }, (_, r) => {
    const row = probabilities.subarray(r * WEATHER_CLASSES.length, (r + 1) * WEATHER_CLASSES.length);
    return String(row.indexOf(Math.max(...row)));
  });
  const onnx = mlpToOnnx(layers, { inputName: 'features', outputName: 'probabilities', graphName: DEMO_MODEL });
  const columns = Object.fromEntries(featureNames.map((name, j) => [name, Float32Array.from(days, (d) => d.features[j]!)]));
  const manifest = {
    name: DEMO_MODEL,
    version: '1',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, featureNames.length] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, WEATHER_CLASSES.length] }],
    batching: { max_batch_size: 32, max_queue_delay_us: 0 },
    lineage: { parameters: { ...TRAINER, period: `${days[0]!.date}..${days[rows - 1]!.date}`, classes: WEATHER_CLASSES }, metrics },
    reference_profile: buildProfile(columns, { prediction: predicted, seed: 1 }),
  };
  await new RegistryClient(stack.urls.registry, stack.token).registerVersion(DEMO_MODEL, manifest, onnx);
  return { event: 'v1_registered', version: '1', rows, train_accuracy: metrics.train_accuracy, message: `v1 trained on ${rows} days (${days[0]!.date} .. ${days[rows - 1]!.date}), training accuracy ${(100 * metrics.train_accuracy).toFixed(1)} %, registered as stable` };
}

export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: '.switchyard-demo' },
      'port-base': { type: 'string', default: String(DEFAULT_PORT_BASE) },
      'days-per-second': { type: 'string', default: '20' },
      'label-delay-days': { type: 'string', default: '3' },
      'until-outcome': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(HELP);
  const number = (key: 'port-base' | 'days-per-second' | 'label-delay-days', min: number): number => {
    const n = Number(values[key]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${key} must be a number >= ${min}, got '${values[key]}'`);
    return n;
  };
  const emit = (e: DemoEvent): void => void process.stdout.write(values.json ? `${JSON.stringify({ time: new Date().toISOString(), ...e })}\n` : `${e.day ? `[${e.day}] ` : ''}${e.message}\n`);

  const dataDir = resolve(values['data-dir']);
  await rm(dataDir, { recursive: true, force: true });
  const configDir = join(dataDir, 'demo');
  await mkdir(configDir, { recursive: true });
  // the narration is the demo's output: the processes' own logs only when something is wrong
  process.env.SWITCHYARD_LOG_LEVEL ??= 'warn';
  const log = createLogger({ component: 'demo' });
  const stack = await startStack(
    {
      dataDir,
      host: '127.0.0.1',
      portBase: number('port-base', 1),
      registryArgs: ['--training', await writeJson(configDir, 'training.json', trainingSpec()), '--rollout', await writeJson(configDir, 'rollout.json', rolloutPolicy())],
      monitorArgs: ['--policy', await writeJson(configDir, 'policy.json', monitorPolicy()), '--drift-window-rows', '30', '--quality-window-rows', '30', '--evaluate-interval-ms', '500'],
    },
    log,
  );
  onShutdownSignal(() => stack.stop(), log);
  try {
    emit({ event: 'stack_started', urls: stack.urls, message: `stack up: gateway ${stack.urls.gateway}, monitor ${stack.urls.monitor}, registry ${stack.urls.registry}` });
    const all = await loadSeattleWeather();
    emit(await registerFirstVersion(stack, all.filter((d) => d.date >= FIRST_TRAINING_DAY && d.date < REPLAY_FROM)));
    await waitForModel(stack.urls, DEMO_MODEL);
    const days = all.filter((d) => d.date >= REPLAY_FROM);
    emit({ event: 'replay_started', days: days.length, message: `replaying ${days.length} days from ${REPLAY_FROM} at ${values['days-per-second']} days/s, labels ${values['label-delay-days']} days late` });
    const narrator = new Narrator(stack.urls, stack.token, DEMO_MODEL, emit);
    let month = '';
    let lastLook = 0;
    const replay = new WeatherReplay({
      gatewayUrl: stack.urls.gateway,
      model: DEMO_MODEL,
      daysPerSecond: number('days-per-second', 0.1),
      labelDelayDays: number('label-delay-days', 0),
      onDay: async (day) => {
        if (day.date.slice(0, 7) !== month) {
          if (month) emit(monthSummary(month, replay.tally));
          month = day.date.slice(0, 7);
          replay.tally.clear();
        }
        if (Date.now() - lastLook >= 250) {
          lastLook = Date.now();
          await narrator.look(day.date);
        }
        return !(values['until-outcome'] && narrator.outcome);
      },
    });
    const replayed = await replay.run(days);
    await narrator.look(days[Math.min(replayed, days.length) - 1]!.date);
    await narrator.audit();
    emit({ event: 'replay_finished', days: replayed, failed_requests: replay.failures, outcome: narrator.outcome ?? null, message: `replayed ${replayed} days, ${replay.failures} failed requests; ${narrator.outcome ? `latest rollout ${narrator.outcome.replace('_', ' ')}` : 'no rollout finished'}` });
  } finally {
    await stack.stop();
  }
}

function monthSummary(month: string, tally: WeatherReplay['tally']): DemoEvent {
  const versions = Object.fromEntries([...tally].map(([v, t]) => [v, { served: t.served, accuracy: t.served ? t.correct / t.served : null }]));
  const told = [...tally].map(([v, t]) => `v${v} answered ${t.served} days, ${Math.round((100 * t.correct) / t.served)} % right`).join('; ');
  return { event: 'month', month, versions, message: `${month}: ${told}` };
}
