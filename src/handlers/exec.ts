// `exec:` handlers: a program run as argv, never through a shell.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { clip, type ActionContext, type EffectResult, type HandlerModule, type RunOptions } from './handler';
import { endGroup } from './process_group';

export interface ExecSpec {
  kind: 'exec';
  argv: string[];
  /** Environment variables passed on beyond PATH, HOME, LANG, TZ and SELFHEAL_* of the action. */
  env: string[];
}

/** What every handler gets from our environment; credentials only if its `env:` lists them. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TZ'];

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

/**
 * argv, never a shell: a label such as `; rm -rf /` reaches the program as a plain string. The
 * handler gets its own process group (killed as a group on timeout) and a minimal environment;
 * it is done when it exits, even if a background child it forked still holds its stdout.
 */
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
      return done({ ok: false, own_fault: true, detail: `could not start ${argv[0]}: ${(err as Error).message}` });
    }
    const pid = child.pid;
    if (pid) opts.onSpawn?.(pid);
    const timer = setTimeout(() => {
      if (pid) endGroup(pid);
      done({ ok: false, detail: clip(`timed out after ${timeoutSec}s; output: ${out}`) });
    }, timeoutSec * 1000);
    const collect = (b: Buffer) => {
      if (out.length < 4000) out += b.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => {
      clearTimeout(timer);
      // Nothing ran (no such program, not executable, no descriptors or processes left): selfheal's own fault.
      done({ ok: false, own_fault: true, detail: `could not start ${argv[0]}: ${err.message}` });
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

/** Whether a program name resolves to an executable file, as spawn would find it. */
function findProgram(name: string): boolean {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  return candidates.some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** `exec: [argv...]` and `env: [NAMES]`. */
export const execHandler: HandlerModule<ExecSpec> = {
  run(spec, ctx, timeoutSec, opts) {
    return runExec(spec.argv, ctx, timeoutSec, spec.env, opts);
  },
  async probe(spec) {
    return findProgram(spec.argv[0]) ? null : `program ${spec.argv[0]} not found or not executable`;
  },
  target(spec) {
    return spec.argv[0];
  },
};
