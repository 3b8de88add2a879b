/**
 * Structured logger. Every message has a stable ID (e.g. `AGT-I01`) so operators can grep and
 * alert on it; text lines by default, JSON lines on request.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(id: string, msg: string, err?: unknown): void;
  warn(id: string, msg: string, err?: unknown): void;
  info(id: string, msg: string): void;
  debug(id: string, msg: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'text' | 'json';
  /** Where lines go; stderr by default so stdout stays clean for CLI output. */
  write?: (line: string) => void;
}

/** The `err` part of a line: an Error's stack (errors) or message, else the value as JSON; never throws. */
function detailOf(level: LogLevel, err: unknown): string | undefined {
  if (err === undefined) return undefined;
  if (err instanceof Error) return level === 'error' ? (err.stack ?? err.message) : err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? `<${typeof err}>`;
  } catch {
    // Circular structures and the like: a log line must never throw.
    return `<unserializable ${typeof err}>`;
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const max = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: LogLevel, id: string, msg: string, err?: unknown): void => {
    if (RANK[level] > max) return;
    const detail = detailOf(level, err);
    if (opts.format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, id, msg, ...(detail !== undefined && { err: detail }) }));
    } else {
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${id} ${msg}${detail !== undefined ? `: ${detail}` : ''}`);
    }
  };
  return {
    error: (id, msg, err) => emit('error', id, msg, err),
    warn: (id, msg, err) => emit('warn', id, msg, err),
    info: (id, msg) => emit('info', id, msg),
    debug: (id, msg) => emit('debug', id, msg),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const SILENT_LOGGER: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
