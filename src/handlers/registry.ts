// Handler kinds registered by name (blackbox_exporter's Probers map): the one list of what a
// `recovery.handlers[i]` entry may run. Their keys are declared with the config's (config/schema.ts
// HANDLER_KINDS); running and `selfheal check` dispatch here.
import type { RecoveryAction } from '../types';
import { dockerHandler, type DockerSpec } from './docker';
import { execHandler, type ExecSpec } from './exec';
import type { ActionContext, EffectResult, HandlerModule, RunOptions, SupervisorOp } from './handler';
import { httpHandler, type HttpHandlerSpec } from './http';
import { supervisorOp } from './ops';
import { systemdHandler, type SystemdSpec } from './systemd';

/** Keeps every key equal to its module's kind, so a spec's kind always finds its own module. */
function keyedByKind<M extends { [K in keyof M]: HandlerModule<{ kind: K & string }> }>(modules: M): M {
  return modules;
}

/** Every handler kind; each is also the key that configures it (`exec:`, `http:`, `docker:`, `systemd:`). */
export const HANDLER_MODULES = keyedByKind({
  exec: execHandler,
  http: httpHandler,
  docker: dockerHandler,
  systemd: systemdHandler,
});

/** A handler ready to run, of any kind (a union discriminated by `kind`). */
export type HandlerSpec = ExecSpec | HttpHandlerSpec | DockerSpec | SystemdSpec;

/** A `recovery.handlers[i]` entry as the config declares it: exactly one kind key is set. */
export interface DeclaredHandler {
  action: RecoveryAction;
  exec: string[] | null;
  env?: string[];
  http: { url: string; method: string; headers: Record<string, string> } | null;
  docker?: { container: string; socket: string; stop_timeout_sec: number; op: string | null } | null;
  systemd?: { unit: string; bus: 'system' | 'user'; address: string | null; op: string | null } | null;
}

/** The operation a validated supervisor entry runs (the loader refused the others). */
function opOf(action: RecoveryAction, op: string | null): SupervisorOp {
  const r = supervisorOp(action, op as SupervisorOp | null);
  return 'op' in r ? r.op : 'restart';
}

/** The runnable spec of a declared handler entry. */
export function specOf(h: DeclaredHandler): HandlerSpec {
  if (h.docker) return { kind: 'docker', ...h.docker, op: opOf(h.action, h.docker.op) };
  if (h.systemd) return { kind: 'systemd', ...h.systemd, op: opOf(h.action, h.systemd.op) };
  if (h.http) return { kind: 'http', ...h.http };
  return { kind: 'exec', argv: h.exec ?? [], env: h.env ?? [] };
}

function moduleOf(spec: HandlerSpec): HandlerModule<HandlerSpec> {
  return HANDLER_MODULES[spec.kind] as HandlerModule<HandlerSpec>;
}

/** Runs a handler of any kind once. */
export function runHandlerSpec(spec: HandlerSpec, ctx: ActionContext, timeoutSec: number, opts: RunOptions = {}): Promise<EffectResult> {
  return moduleOf(spec).run(spec, ctx, timeoutSec, opts);
}

/** Why a handler's target cannot be used, or null (what `selfheal check` reports). */
export function probeHandler(spec: HandlerSpec, timeoutSec: number): Promise<string | null> {
  return moduleOf(spec).probe(spec, timeoutSec);
}

/** A handler's target in words. */
export function handlerTarget(spec: HandlerSpec): string {
  return moduleOf(spec).target(spec);
}
