// The operator commands' one HTTP client: a call to a running selfheal, classified into what the
// exit code reports (done, refused by the service, unreachable). Shared by the single-host and fleet commands.
import { readFileSync } from 'node:fs';

/** Exit codes of the operator commands (documented in the CLI usage and docs/cli.md). */
export const EXIT = { ok: 0, refused: 1, unreachable: 2, usage: 3 } as const;

/** A usage problem (bad flag, missing value, unreadable token file): exit 3, message shown. */
export class UsageError extends Error {}

export const DEFAULT_URL = 'http://127.0.0.1:8477';
export const DEFAULT_TIMEOUT_MS = 5000;

export interface Target {
  url: string;
  token: string | null;
  timeoutMs: number;
  /** Where the token came from, for the hint after a 401 (see tokenSource). */
  tokenFrom?: string;
}

export type CallResult =
  | { kind: 'ok'; status: number; body: unknown }
  /** The service answered 4xx: it understood and said no (auth, validation, conflict). */
  | { kind: 'refused'; status: number; message: string; body: unknown; tokenFrom?: string }
  /** No answer, a timeout, or a 5xx: the service could not do it. */
  | { kind: 'unreachable'; status: number | null; message: string };

/** The exit code a single call's result maps to. */
export function exitFor(r: CallResult): number {
  return r.kind === 'ok' ? EXIT.ok : r.kind === 'refused' ? EXIT.refused : EXIT.unreachable;
}

/** The operator token: `--token-file` wins, else env SELFHEAL_API_TOKEN, else none (loopback-only services). */
export function resolveToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--token-file: cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const token = text.trim();
    if (!token) throw new UsageError(`--token-file: ${tokenFile} is empty`);
    return token;
  }
  const fromEnv = env.SELFHEAL_API_TOKEN?.trim();
  return fromEnv ? fromEnv : null;
}

/** Where resolveToken takes the token from, in words: the hint a 401 prints names it. */
export function tokenSource(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (tokenFile !== undefined) return `--token-file ${tokenFile}`;
  return env.SELFHEAL_API_TOKEN?.trim() ? 'env SELFHEAL_API_TOKEN' : 'none';
}

/** Checks a base URL given on the command line or in an inventory; returns it without a trailing slash. */
export function checkUrl(raw: string, what = '--url'): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${what}: expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`${what}: expected an http(s) URL, got ${JSON.stringify(raw)}`);
  if (u.search || u.hash) throw new UsageError(`${what}: a base URL takes no query or fragment, got ${JSON.stringify(raw)}`);
  return raw.replace(/\/+$/, '');
}

/** One request to a selfheal service; never throws. */
export async function call(t: Target, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.token) headers.authorization = `Bearer ${t.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${t.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(t.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${t.timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { kind: 'unreachable', status: null, message: `${t.url}: ${why}` };
  }
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  const said = (parsed as { error?: unknown } | null)?.error;
  const message = typeof said === 'string' ? said : typeof parsed === 'string' ? parsed.slice(0, 200) : `HTTP ${res.status}`;
  if (res.status >= 200 && res.status < 300) return { kind: 'ok', status: res.status, body: parsed };
  if (res.status >= 400 && res.status < 500) return { kind: 'refused', status: res.status, message, body: parsed, tokenFrom: t.tokenFrom };
  return { kind: 'unreachable', status: res.status, message: `${t.url}: HTTP ${res.status}: ${message}` };
}

/**
 * "90s", "10m", "1h30m", "2d" → seconds. A bare number is refused: "30" meant seconds here and minutes
 * in the console's field, and a 30 s override taken for 30 minutes ends while the operator is away.
 */
export function parseDuration(raw: string, what = '--duration'): number {
  const s = raw.trim();
  if (/^\d+(\.\d+)?$/.test(s))
    throw new UsageError(`${what}: "${s}" has no unit: write ${s}s, ${s}m or ${s}h (the console's field is in minutes: ${s}m)`);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (!s || consumed !== s.length || !(total > 0))
    throw new UsageError(`${what}: expected a duration like 90s, 10m or 1h30m, got ${JSON.stringify(raw)}`);
  return total;
}
