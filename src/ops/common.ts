// Flags and output shared by `selfheal policy`, `selfheal recovery` and `selfheal fleet`.
import type { ParseArgsConfig } from 'node:util';
import {
  DEFAULT_TIMEOUT_MS,
  DEFAULT_URL,
  EXIT,
  UsageError,
  checkUrl,
  exitFor,
  parseDuration,
  resolveToken,
  tokenSource,
  type CallResult,
  type Target,
} from './http';
import { helpFor, scanArgs, type CommandHelp } from './help';

export type Io = { out: (s: string) => void; err: (s: string) => void };

/** Flags every operator command takes. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Runs parseArgs (or anything that throws on bad usage) with its errors as UsageError. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--timeout` in ms (default 5 s). */
export function timeoutMs(raw: string | undefined): number {
  return raw === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(raw, '--timeout') * 1000;
}

/** The service a single-host command talks to. */
export function targetOf(values: { url?: string; 'token-file'?: string; timeout?: string }, env: NodeJS.ProcessEnv): Target {
  return {
    url: checkUrl(values.url ?? DEFAULT_URL),
    token: resolveToken(values['token-file'], env),
    timeoutMs: timeoutMs(values.timeout),
    tokenFrom: tokenSource(values['token-file'], env),
  };
}

/** What a 401 means for the CLI: where it reads the operator token, and which one it sent. */
export function tokenHint(from: string | undefined): string {
  const sent = from === undefined || from === 'none' ? 'this command sent none' : `this command sent the one from ${from}`;
  return `The operator token (the service's api.token) is read from --token-file FILE, else env SELFHEAL_API_TOKEN; ${sent}.\n`;
}

/** A required string flag (reason, policy…): missing → usage error naming it. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || !value.trim()) throw new UsageError(`--${flag}: required`);
  return value.trim();
}

/** Prints a call's outcome: the body (raw JSON or human) on success, the service's message otherwise (a 401 names the token's sources). */
export function report(r: CallResult, io: Io, json: boolean | undefined, human: (body: unknown) => string): number {
  if (r.kind === 'ok') io.out(json ? JSON.stringify(r.body, null, 2) + '\n' : human(r.body));
  else if (r.kind === 'refused') {
    io.err(`selfheal: refused by the service (HTTP ${r.status}): ${r.message}\n`);
    if (r.status === 401) io.err(tokenHint(r.tokenFrom));
    if (json) io.out(JSON.stringify(r.body, null, 2) + '\n');
  } else io.err(`selfheal: service unreachable or failing: ${r.message}\n`);
  return exitFor(r);
}

/** The options table a command hands to parseArgs. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Runs a command body: `-h`/`--help` anywhere prints the most specific help and exits 0 (before any
 * other check, so help always works); a usage error prints its message and that help, exit 3.
 */
export async function withUsage(
  io: Io,
  help: CommandHelp,
  argv: readonly string[],
  options: Options,
  body: () => Promise<number>,
): Promise<number> {
  const { words, help: asked } = scanArgs(argv, options);
  if (asked) {
    io.out(helpFor(help, words));
    return EXIT.ok;
  }
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`selfheal: ${err.message}\n\n${helpFor(help, words)}`);
      return EXIT.usage;
    }
    throw err;
  }
}

/** Left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** An epoch-ms or ISO time as ISO text; '-' for none. */
export const when = (v: unknown): string => {
  if (typeof v === 'number') return new Date(v).toISOString();
  return typeof v === 'string' ? v : '-';
};
