// Handler kinds registered by name (blackbox_exporter's Probers map): the one list of what a
// `recovery.handlers[i]` entry may be. Config parsing, running and `selfheal check` dispatch here.
import type { Section } from '../schema/reader';
import { ConfigError } from '../schema/reader';
import type { RecoveryAction } from '../types';
import { dockerHandler } from './docker';
import { execHandler } from './exec';
import type { ActionContext, EffectResult, HandlerModule, RunOptions } from './handler';
import { httpHandler } from './http';
import { systemdHandler } from './systemd';

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

type Modules = typeof HANDLER_MODULES;

/** The handler kinds a config accepts. */
export type HandlerKind = keyof Modules;

/** A parsed handler of any kind (a union discriminated by `kind`). */
export type HandlerSpec = { [K in HandlerKind]: ReturnType<Modules[K]['parse']> }[HandlerKind];

export const HANDLER_KINDS: readonly HandlerKind[] = Object.keys(HANDLER_MODULES) as HandlerKind[];

function moduleOf(spec: HandlerSpec): HandlerModule<HandlerSpec> {
  return HANDLER_MODULES[spec.kind] as HandlerModule<HandlerSpec>;
}

/** Reads the one kind key of a handler entry (exactly one of exec, http, docker, systemd). */
export function parseHandlerSpec(s: Section, action: RecoveryAction): HandlerSpec {
  const kinds = HANDLER_KINDS.filter((k) => s.has(k));
  if (kinds.length !== 1)
    throw new ConfigError(
      `${s.key(kinds[1] ?? 'exec')}: a handler needs exactly one of ${HANDLER_KINDS.join(', ')}${kinds.length ? ` (got ${kinds.join(' and ')})` : ''}`,
    );
  return HANDLER_MODULES[kinds[0]].parse(s, action);
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
