// What an action does. Its default effect is in the actions table (recommend/actions.ts): a policy
// floor or the original platform's flag file; configured handlers (argv exec or HTTP) run first-match.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerConfig } from '../config/types';
import { flagFile } from '../recommend/actions';
import type { RecoveryAction } from '../types';

export interface ActionContext {
  action: RecoveryAction;
  subsystem: string;
  severity: string;
  alertname: string;
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
}

export interface EffectResult {
  ok: boolean;
  detail: string;
}

export function findHandler(handlers: HandlerConfig[], action: RecoveryAction, subsystem: string): HandlerConfig | null {
  return handlers.find((h) => h.action === action && (h.subsystem === null || h.subsystem === subsystem)) ?? null;
}

/** What every handler gets from our environment; credentials only if its `env:` lists them. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TZ'];

/** The most of an HTTP handler's answer that is read (the rest is dropped; the detail is clipped anyway). */
export const MAX_HTTP_ANSWER_BYTES = 64 * 1024;

function env(ctx: ActionContext, pass: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...BASE_ENV, ...pass]) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return {
    ...out,
    SELFHEAL_ACTION: ctx.action,
    SELFHEAL_SUBSYSTEM: ctx.subsystem,
    SELFHEAL_SEVERITY: ctx.severity,
    SELFHEAL_ALERTNAME: ctx.alertname,
    SELFHEAL_FINGERPRINT: ctx.fingerprint,
    SELFHEAL_STARTS_AT: ctx.startsAt,
    SELFHEAL_LABELS: JSON.stringify(ctx.labels),
  };
}

const clip = (s: string) => (s.length > 2000 ? s.slice(0, 2000) + '…' : s);

/**
 * argv, never a shell: a label such as `; rm -rf /` reaches the program as a plain string. The
 * handler gets its own process group (killed as a group on timeout) and a minimal environment;
 * it is done when it exits, even if a background child it forked still holds its stdout.
 */
/** What the executor learns while a handler runs. */
export interface RunOptions {
  /** An exec handler's process (and process group) id, as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
}

export function runExec(
  argv: string[],
  ctx: ActionContext,
  timeoutSec: number,
  pass: readonly string[] = [],
  opts: RunOptions = {},
): Promise<EffectResult> {
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    const done = (r: EffectResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { env: env(ctx, pass), stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    } catch (err) {
      return done({ ok: false, detail: `could not start ${argv[0]}: ${(err as Error).message}` });
    }
    if (child.pid) opts.onSpawn?.(child.pid);
    const group = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        /* the group is gone */
      }
    };
    const timer = setTimeout(() => {
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), 2000).unref();
      done({ ok: false, detail: clip(`timed out after ${timeoutSec}s; output: ${out}`) });
    }, timeoutSec * 1000);
    const collect = (b: Buffer) => {
      if (out.length < 4000) out += b.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ ok: false, detail: `could not start ${argv[0]}: ${err.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Output already written is in; what a background child writes later is not waited for.
      setImmediate(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        done({ ok: code === 0, detail: clip(`exit ${code ?? signal}${out ? `; output: ${out.trim()}` : ''}`) });
      });
    });
  });
}

export async function runHttp(h: NonNullable<HandlerConfig['http']>, ctx: ActionContext, timeoutSec: number): Promise<EffectResult> {
  try {
    const res = await fetch(h.url, {
      method: h.method,
      headers: { 'content-type': 'application/json', ...h.headers },
      body:
        h.method === 'GET'
          ? undefined
          : JSON.stringify({
              action: ctx.action,
              subsystem: ctx.subsystem,
              severity: ctx.severity,
              alertname: ctx.alertname,
              fingerprint: ctx.fingerprint,
              starts_at: ctx.startsAt,
              labels: ctx.labels,
            }),
      signal: AbortSignal.timeout(timeoutSec * 1000),
    });
    const text = await readCapped(res, MAX_HTTP_ANSWER_BYTES).catch(() => '');
    return { ok: res.ok, detail: clip(`HTTP ${res.status}${text ? `: ${text}` : ''}`) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return {
      ok: false,
      detail: e.name === 'TimeoutError' ? `timed out after ${timeoutSec}s` : `request failed: ${e.cause?.code ?? e.message}`,
    };
  }
}

/** Reads at most `limit` bytes of an answer, then cancels the rest (a 100 MB answer costs 64 KiB). */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  if (size >= limit) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

export function runHandler(h: HandlerConfig, ctx: ActionContext, opts: RunOptions = {}): Promise<EffectResult> {
  if (h.exec) return runExec(h.exec, ctx, h.timeout_sec, h.env ?? [], opts);
  // The config loader guarantees exec or http; a handler with neither is a failed effect, not a crash.
  if (h.http) return runHttp(h.http, ctx, h.timeout_sec);
  return Promise.resolve({ ok: false, detail: 'handler has neither exec nor http' });
}

/** The original platform's mechanism, an action's default effect: a flag file its supervisor watches. */
export function writeFlag(dataDir: string, ctx: ActionContext, now: number): EffectResult {
  const name = flagFile(ctx.action, ctx.subsystem);
  writeFileSync(
    join(dataDir, name),
    JSON.stringify({
      action: ctx.action,
      subsystem: ctx.subsystem,
      alertname: ctx.alertname,
      fingerprint: ctx.fingerprint,
      requested_at: new Date(now).toISOString(),
    }) + '\n',
  );
  return { ok: true, detail: `wrote ${name}` };
}
