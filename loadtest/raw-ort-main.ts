/**
 * The raw ORT measurement as its own process, so it runs on the same CPUs as
 * the gateway will (the benchmark starts it under the same taskset) and on
 * the exact ONNX file the gateway loads. Options: one JSON argument; result:
 * one JSON line on stdout.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { sampleMachine } from './proc-cpu.js';
import { measureRawOrt, type RawOrtOptions } from './raw-ort.js';

export type RawOrtChildOptions = Omit<RawOrtOptions, 'model'> & { modelFile: string };

const options = JSON.parse(process.argv[2] ?? '{}') as RawOrtChildOptions;
const model = new Uint8Array(await readFile(options.modelFile));
const machine0 = sampleMachine();
const cpu0 = process.cpuUsage();
const start = performance.now();
const result = await measureRawOrt({ ...options, model });
const seconds = (performance.now() - start) / 1000;
const own = process.cpuUsage(cpu0);
const machine1 = sampleMachine();
if (machine0 && machine1) {
  result.backgroundCores = Math.max(0, (machine1.busySeconds - machine0.busySeconds - (own.user + own.system) / 1e6) / seconds);
}
process.stdout.write(JSON.stringify(result) + '\n');
