// Logs: pino with string levels; JSON lines for machines, logfmt for people at a terminal.
import pino from 'pino';

export type Logger = pino.Logger;
export type LogFormat = 'json' | 'logfmt';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'logfmt'];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** logfmt at a terminal, JSON otherwise (piped to a file, journald or a collector). */
export function defaultLogFormat(isTTY = Boolean(process.stdout.isTTY)): LogFormat {
  return isTTY ? 'logfmt' : 'json';
}

export function createLogger(level = 'info', destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  const dest = format === 'logfmt' ? logfmtStream(destination ?? { write: (s: string) => void process.stdout.write(s) }) : destination;
  return pino(
    {
      name: 'selfheal',
      level,
      base: { service: 'selfheal' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest as pino.DestinationStream,
  );
}

export const silentLogger = (): Logger => pino({ level: 'silent' });

const HIDDEN = new Set(['time', 'level', 'msg', 'name', 'service', 'pid', 'hostname']);

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
  return s === '' || /[\s"=\\]/.test(s) ? JSON.stringify(s) : s;
}

/** One pino JSON record as a logfmt line: `ts=… level=… msg="…" key=value …`. */
function logfmtLine(rec: Record<string, unknown>): string {
  const parts = [`ts=${rec.time}`, `level=${rec.level}`, `msg=${logfmtValue(rec.msg ?? '')}`];
  for (const [k, v] of Object.entries(rec)) if (!HIDDEN.has(k) && v !== undefined) parts.push(`${k}=${logfmtValue(v)}`);
  return parts.join(' ') + '\n';
}

function logfmtStream(out: pino.DestinationStream): pino.DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return void out.write(line);
      }
      out.write(logfmtLine(rec));
    },
  };
}
