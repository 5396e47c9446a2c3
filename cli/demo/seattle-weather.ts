/**
 * The demo's real data: Seattle's daily weather 2012-2015 (NOAA, as republished in the
 * `vega-datasets` npm package, BSD-3-Clause), in time order. Each day: precipitation (mm),
 * maximum and minimum temperature (°C) and wind (m/s); the label is the day's weather. The
 * seasons make the features drift and the labelling of fog and drizzle changes over the years, so
 * a model trained on one half-year meets both kinds of drift without anything made up.
 */
import { readFile } from 'node:fs/promises';

export const WEATHER_FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'] as const;
export const WEATHER_CLASSES = ['drizzle', 'fog', 'rain', 'snow', 'sun'] as const;

export interface WeatherDay {
  /** YYYY-MM-DD */
  date: string;
  features: number[];
  /** Index into WEATHER_CLASSES. */
  label: number;
}

export function weatherCsvPath(): string {
  return new URL('../data/seattle-weather.csv', import.meta.resolve('vega-datasets')).pathname;
}

export async function loadSeattleWeather(path = weatherCsvPath()): Promise<WeatherDay[]> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  const header = lines[0]!.split(',');
  const column = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: no "${name}" column in header ${lines[0]}`);
    return i;
  };
  const dateAt = column('date');
  const labelAt = column('weather');
  const featureAt = WEATHER_FEATURES.map(column);
  const days = lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    const label = WEATHER_CLASSES.indexOf(cells[labelAt] as (typeof WEATHER_CLASSES)[number]);
    const features = featureAt.map((at) => Number(cells[at]));
    if (label < 0 || features.some((v) => !Number.isFinite(v))) throw new Error(`${path} line ${i + 2}: expected numbers and one of ${WEATHER_CLASSES.join('/')}, got ${line}`);
    return { date: cells[dateAt]!, features, label };
  });
  return days.sort((a, b) => a.date.localeCompare(b.date));
}
