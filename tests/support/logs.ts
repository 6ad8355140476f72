/** A server's output read as what it must be: one JSON log line per line (src/app/log.ts). */

export type LogLine = { time: string; level: string; msg: string } & Record<string, unknown>;

/** A server's output as its log lines: every line it writes is one JSON object; anything else fails here, named. */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
      const { time, level, msg } = parsed as Partial<LogLine>;
      if (typeof time !== 'string' || typeof level !== 'string' || typeof msg !== 'string') throw new Error(`a log line without time, level and msg: ${line}`);
      return parsed as LogLine;
    });
}
