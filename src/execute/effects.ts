// What an action does. Its default effect is in the actions table (recommend/actions.ts): a policy
// floor or the original platform's flag file; configured handlers (src/handlers/: exec, http, docker,
// systemd) run first-match.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlerConfig } from '../config/types';
import type { ActionContext, EffectResult, RunOptions } from '../handlers/handler';
import { runHandlerSpec, specOf } from '../handlers/registry';
import { flagFile } from '../recommend/actions';
import type { RecoveryAction } from '../types';

/** The first handler configured for this action and subsystem (first match wins). */
export function findHandler(handlers: HandlerConfig[], action: RecoveryAction, subsystem: string): HandlerConfig | null {
  return handlers.find((h) => h.action === action && (h.subsystem === null || h.subsystem === subsystem)) ?? null;
}

/** Runs a configured handler of any kind, within its timeout_sec. */
export function runHandler(h: HandlerConfig, ctx: ActionContext, opts: RunOptions = {}): Promise<EffectResult> {
  return runHandlerSpec(specOf(h), ctx, h.timeout_sec, opts);
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
