/** Structured logs: one JSON object per line on stderr, so stdout stays free for command output. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Where a line that passed the level goes; by default stderr. */
export type LogWriter = (level: Level, msg: string, fields: Record<string, unknown>) => void;

const toStderr: LogWriter = (level, msg, fields) => {
  const { time, ...rest } = fields;
  process.stderr.write(JSON.stringify({ time: time ?? new Date().toISOString(), level, ...rest, msg }) + '\n');
};

export function logLevel(): Level {
  const v = process.env.SWITCHYARD_LOG_LEVEL;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

export function createLogger(base: Record<string, unknown>, level: Level = logLevel(), writer: LogWriter = toStderr): Logger {
  const min = ORDER[level];
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < min) return;
    writer(lvl, msg, { ...base, ...fields });
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, level, writer),
  };
}
