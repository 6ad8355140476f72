/**
 * Structured logs: one JSON object per line on stdout (errors on stderr), so a collector (journald, Docker,
 * Loki, CloudWatch) can index fields like `requestId`, `route` and `status` without parsing prose.
 * Field order is fixed (time, level, msg, then the rest) so the lines also read well in a terminal.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a request's id, a job's kind). */
  child(fields: LogFields): Logger;
};

export type LoggerOptions = {
  /** Lines below this level are dropped (default info). */
  level?: LogLevel;
  /** Where lines go (tests capture them); default: stdout, or stderr for warn and error. */
  write?: (line: string, level: LogLevel) => void;
  clock?: () => Date;
};

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const write = options.write ?? defaultWrite;
  const clock = options.clock ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVELS[level] < min) return;
    const line = { time: clock().toISOString(), level, msg, ...bound, ...(fields ? serializeErrors(fields) : {}) };
    write(JSON.stringify(line), level);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function defaultWrite(line: string, level: LogLevel) {
  (LEVELS[level] >= LEVELS.warn ? process.stderr : process.stdout).write(line + '\n');
}

/** JSON.stringify turns an Error into `{}`: keep its name, message, code and stack instead. */
function serializeErrors(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? errorFields(value) : value;
  }
  return out;
}

function errorFields(error: Error): LogFields {
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? errorFields(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(code !== undefined ? { code } : {}), ...(cause ? { cause } : {}), stack: error.stack };
}

/** What the background loops (scheduler, delivery worker) log through: a message, and the error of a failure. */
export type LoopLog = { info(message: string): void; error(message: string, error?: unknown): void };

/** The loops' default: the process's log below (read at each call, so LOG_LEVEL applies once configured). */
export const loopLog: LoopLog = {
  info: (message) => log.info(message),
  error: (message, error) => log.error(message, error === undefined ? undefined : { error }),
};

/** The process's logger; LOG_LEVEL is read by src/config.ts and applied at boot with `configureLog`. */
export let log: Logger = createLogger();

export function configureLog(options: LoggerOptions) {
  log = createLogger(options);
}

/**
 * Node.js prints its process warnings (a deprecation in a dependency, a listener leak) as prose on stderr, over
 * several lines: in the server they become log lines instead. Node's printer is the one listener at start; under
 * `--no-warnings` or NODE_NO_WARNINGS=1 there is none, and the operator's choice stands.
 */
export function logProcessWarnings(): void {
  if (process.listenerCount('warning') === 0) return;
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) =>
    log.warn(warning.message, { name: warning.name, ...(warning.code ? { code: warning.code } : {}) }),
  );
}
