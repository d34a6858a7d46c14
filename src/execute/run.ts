// RUN: what an admitted action does, once it is `running` — its floor (again, idempotently), its
// configured handler or its default effect (a flag file). Remediation handlers share
// recovery.max_concurrent_handlers; protective ones (what pauses bots that do not read /policy) have
// capacity of their own. A re-run after a crash first waits for the interrupted handler, or ends it.
import type { Config } from '../config/types';
import type { Logger } from '../log/logger';
import { ACTIONS } from '../recommend/actions';
import { Semaphore } from '../util/semaphore';
import type { ActionContext, EffectResult } from '../handlers/handler';
import { findHandler, runHandler, writeFlag } from './effects';
import type { Floors } from './floors';
import type { ActionRecord, JournalStore } from './journal';
import { settleGroup, startTicks } from '../handlers/process_group';

/** What a handler is told about the action it runs. */
export function contextOf(r: ActionRecord): ActionContext {
  return {
    action: r.action,
    subsystem: r.subsystem,
    severity: r.issue_severity ?? '',
    alertname: r.alertname,
    fingerprint: r.fingerprint,
    startsAt: r.starts_at,
    labels: r.labels,
  };
}

/** Runs admitted actions' effects. */
export class ActionRunner {
  /** Remediation handlers running at once (recovery.max_concurrent_handlers). */
  private readonly slots: Semaphore;

  constructor(
    private readonly config: Config,
    private readonly store: Pick<JournalStore, 'update'>,
    private readonly floors: Floors,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    this.slots = new Semaphore(() => this.config.recovery.max_concurrent_handlers);
  }

  /** Remediation handlers running now and actions waiting for a handler slot. */
  usage(): { running: number; waiting: number } {
    return this.slots.usage();
  }

  /**
   * A re-run after a crash: the old handler's process group may still be running. Waits for it (up to
   * the handler's timeout from when it started), or ends it; never two copies at once. Returns what
   * happened, for the record's reason, or null when nothing was left running.
   */
  async settlePrior(r: ActionRecord): Promise<string | null> {
    if (r.handler_pgid == null) return null;
    const h = findHandler(this.config.recovery.handlers, r.action, r.subsystem);
    const deadline = (r.started_at ?? this.clock()) + (h?.timeout_sec ?? 30) * 1000;
    const what = await settleGroup(r.handler_pgid, r.handler_start ?? null, deadline, this.clock);
    if (what === 'gone') return null;
    this.logger.warn({ id: r.id, pgid: r.handler_pgid, what }, 'the interrupted handler was still running');
    return what === 'finished'
      ? 'waited for the interrupted handler to finish'
      : 'ended the interrupted handler, still running past its timeout';
  }

  /** The action's effect; never throws (a thrown handler is a failed effect). */
  async effect(r: ActionRecord): Promise<EffectResult> {
    try {
      return await this.apply(r);
    } catch (err) {
      return { ok: false, detail: `effect failed: ${(err as Error).message}` };
    }
  }

  private async apply(r: ActionRecord): Promise<EffectResult> {
    const ctx = contextOf(r);
    const info = ACTIONS[ctx.action];
    const notes: string[] = [];
    if (info.policy_floor) {
      this.floors.impose(r);
      notes.push(`policy floor ${info.policy_floor}`);
    }
    const handler = findHandler(this.config.recovery.handlers, ctx.action, ctx.subsystem);
    if (handler) {
      const release = info.policy_floor ? () => undefined : await this.slots.acquire();
      try {
        const res = await runHandler(handler, ctx, { onSpawn: (pid) => this.noteHandler(r, pid) });
        return { ...res, detail: [...notes, res.detail].join('; ') };
      } finally {
        release();
      }
    }
    if (!info.policy_floor) return writeFlag(this.config.data_dir, ctx, this.clock());
    return { ok: true, detail: notes.join('; ') };
  }

  /** The handler's process group, durable at once: a restart finds it again. */
  private noteHandler(r: ActionRecord, pid: number): void {
    this.store.update(r.id, { handler_pgid: pid, handler_start: startTicks(pid) });
  }
}
