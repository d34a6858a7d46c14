// What every recovery handler kind shares: the action it runs for, what it answers, and the one
// function type a kind implements (blackbox_exporter's prober style, as the check types are).
import type { RecoveryAction } from '../types';

/** The alert an action runs for, as a handler sees it. */
export interface ActionContext {
  action: RecoveryAction;
  subsystem: string;
  severity: string;
  alertname: string;
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
}

/** A container as the Docker Engine reported it. */
export interface ContainerState {
  id: string;
  status: string;
  running: boolean;
  started_at: string;
  pid: number;
  /** The healthcheck's status, or null when the container has none. */
  health: string | null;
}

/** A unit as systemd reported it over D-Bus. */
export interface UnitState {
  load_state: string;
  active_state: string;
  sub_state: string;
  main_pid: number;
  /** ActiveEnterTimestamp as an ISO time, or null when the unit never entered `active`. */
  active_enter_timestamp: string | null;
}

/** What a supervisor was asked to do to a target. */
export type SupervisorOp = 'restart' | 'stop';

/** A supervisor's own account of an action: the target's state before and after (null: not read). */
export type SupervisorEvidence =
  | { kind: 'docker'; op: SupervisorOp; target: string; before: ContainerState | null; after: ContainerState | null }
  | { kind: 'systemd'; op: SupervisorOp; target: string; before: UnitState | null; after: UnitState | null };

export interface EffectResult {
  ok: boolean;
  detail: string;
  /** The supervisor's evidence (docker and systemd handlers): journaled, shown in /recovery/history. */
  evidence?: SupervisorEvidence;
  /**
   * selfheal's own fault, not the platform's: the handler could not reach or find its target (no
   * socket, permission denied, an unknown container or unit). Nothing was restarted, so this is no
   * restart that failed verification: it never counts towards escalation and is not retried.
   */
  own_fault?: boolean;
}

/** What the executor learns while a handler runs. */
export interface RunOptions {
  /** An exec handler's process (and process group) id, as soon as it is spawned. */
  onSpawn?: (pid: number) => void;
}

/**
 * One handler kind: its run, and the probe `selfheal check` uses to find its target. Its keys are
 * declared with the config's (config/schema.ts HANDLER_KINDS). Methods, not function properties: the
 * registry calls a module through its spec's union type, which needs the (bivariant) method parameters.
 */
export interface HandlerModule<S extends { kind: string }> {
  run(spec: S, ctx: ActionContext, timeoutSec: number, opts?: RunOptions): Promise<EffectResult>;
  /** Why the target cannot be used (unknown, unreachable), or null when it answers. Never acts. */
  probe(spec: S, timeoutSec: number): Promise<string | null>;
  /** The target in words, for messages: a container, a unit, a URL or a program. */
  target(spec: S): string;
}

/** Details are clipped: the journal and the log keep what matters, not a megabyte of output. */
export const clip = (s: string): string => (s.length > 2000 ? s.slice(0, 2000) + '…' : s);

/** An error's errno code, or its message. */
export function errCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}

/** Errnos of a socket that is ours to fix (absent, refused, not permitted), never the platform's fault. */
export const OWN_SOCKET_ERRNOS = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK'];

/** Why a socket error happened, in words an operator acts on. */
export function socketCause(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such socket (ENOENT)';
    case 'ECONNREFUSED':
      return 'nothing listens on the socket (ECONNREFUSED)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    default:
      return code;
  }
}

/** Polls `read` every `everyMs` until `done` holds of its answer or `deadline` passes; returns the last answer. */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, deadline: number, everyMs = 50): Promise<T> {
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
