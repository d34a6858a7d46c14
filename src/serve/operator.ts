// The operator's hand on the served policy: the emergency latch's reset and the override, their
// routes, and the files that make both survive a restart (fail closed: a crash must not release
// what only a human may). Restored before the first cycle is served.
import express, { type Express, type RequestHandler } from 'express';
import { reasonOf } from '../http/json';
import type { Logger } from '../log/logger';
import type { PolicyChange } from '../recommend/policy_state';
import type { PolicyView } from '../policy_view';
import { OVERRIDE_POLICIES, type SafetyPolicy } from '../types';
import type { Flaps } from '../analyze/flapping';
import { FlapFile, LatchFile, OverrideFile, type OverrideRecord } from './latch';

/** What the operator routes act on: the running monitor's policy. */
export interface OperatorTarget {
  readonly policy: { readonly isLatched: boolean };
  setFloor(key: string, policy: SafetyPolicy, reason: string, until: number | null): unknown;
  clearFloor(key: string): unknown;
  resetLatch(reason: string): unknown;
  restoreLatch(reason: string): unknown;
  seedFlaps(flaps: ReadonlyMap<string, Flaps>): void;
}

/** The latch and the override, on disk and in the policy state machine. */
export class OperatorState {
  private readonly latch: LatchFile;
  private readonly override: OverrideFile;
  private readonly flaps: FlapFile;
  /** The override a previous process left (read at construction: an unreadable one refuses the start, exit 3). */
  private readonly restored: OverrideRecord | null;

  constructor(
    journalPath: string,
    private readonly target: OperatorTarget,
    private readonly clock: () => number,
    private readonly logger: Logger,
  ) {
    this.latch = LatchFile.beside(journalPath);
    this.override = OverrideFile.beside(journalPath);
    this.flaps = FlapFile.beside(journalPath);
    this.restored = this.override.read();
  }

  /** Before the first cycle: an override still in force and a latch a previous process left come back. */
  restore(): void {
    const o = this.restored;
    if (o && o.until > this.clock()) {
      this.logger.warn(
        { policy: o.policy, until: new Date(o.until).toISOString(), reason: o.reason },
        'operator override restored after a restart',
      );
      this.target.setFloor('override', o.policy, `override by operator: ${o.reason}`, o.until);
    } else if (o) this.override.clear();
    this.restoreFlaps();
    const left = this.latch.read();
    if (!left) return;
    this.logger.error(
      { since: left.since, reasons: left.reasons },
      'emergency_shutdown was latched before this start: serving it until POST /policy/reset',
    );
    const why = left.reasons.length ? `: ${left.reasons.join('; ')}` : '';
    this.target.restoreLatch(`emergency_shutdown latched since ${left.since}, before a restart of selfheal${why}`);
  }

  /** Flapping subsystems a previous process saw: their floors hold from the first cycle. */
  private restoreFlaps(): void {
    const flaps = this.flaps.read();
    if (flaps === null) return void this.logger.error({ path: this.flaps.path }, 'flap states unreadable: flapping is detected afresh');
    const flapping = [...flaps].filter(([, f]) => f.since !== null).map(([name]) => name);
    if (flapping.length) this.logger.warn({ subsystems: flapping }, 'flapping before this start: their floors hold until they are stable');
    this.target.seedFlaps(flaps);
  }

  /** The monitor's flap states changed: written down (a restart keeps the floors they hold). */
  flapsChanged(flaps: ReadonlyMap<string, Flaps>): void {
    try {
      this.flaps.write(flaps);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, path: this.flaps.path }, 'could not persist the flap states');
    }
  }

  /** A policy change: a latch is written down at once. */
  changed(c: PolicyChange): void {
    if (c.to !== 'emergency_shutdown') return;
    try {
      this.latch.write(c.at, c.reasons);
    } catch (err) {
      this.logger.error({ err: (err as Error).message, path: this.latch.path }, 'could not persist the emergency_shutdown latch');
    }
  }

  /** POST /policy/reset, POST and DELETE /policy/override (operator token); each answers the policy view. */
  mount(app: Express, operator: RequestHandler, view: () => PolicyView): void {
    const json = express.json({ limit: '16kb' });
    app.post('/policy/reset', operator, json, (req, res) => {
      const reason = reasonOf(req.body);
      if (!reason) return void res.status(400).json({ error: 'reason: required, a non-empty string' });
      if (!this.target.policy.isLatched) return void res.status(409).json({ error: 'emergency_shutdown is not latched', policy: view() });
      this.logger.warn({ reason, remote: req.socket.remoteAddress }, 'emergency_shutdown latch reset by operator');
      this.target.resetLatch(reason);
      this.latch.clear();
      res.json(view());
    });
    app.post('/policy/override', operator, json, (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const bad = overrideError(body);
      if (bad) return void res.status(400).json({ error: bad });
      const [policy, reason] = [body.policy as SafetyPolicy, reasonOf(body) ?? ''];
      const until = this.clock() + (body.duration_sec as number) * 1000;
      this.logger.warn({ policy, duration_sec: body.duration_sec, reason, remote: req.socket.remoteAddress }, 'operator override');
      // Durable first: an override acknowledged is an override a restart still serves.
      this.override.write({ policy, reason, until });
      this.target.setFloor('override', policy, `override by operator: ${reason}`, until);
      res.json(view());
    });
    app.delete('/policy/override', operator, (req, res) => {
      this.logger.warn({ remote: req.socket.remoteAddress }, 'operator override lifted');
      this.override.clear();
      this.target.clearFloor('override');
      res.json(view());
    });
  }
}

/** What is wrong with an override request, naming the field; null when it is good. */
function overrideError(body: Record<string, unknown>): string | null {
  const { policy, duration_sec: duration } = body;
  // An override only tightens (the served policy is the stricter of the two): one to allow_all would do nothing.
  if (policy === 'allow_all') return 'policy: allow_all is not stricter than allow_all; DELETE /policy/override lifts an override';
  if (typeof policy !== 'string' || !(OVERRIDE_POLICIES as readonly string[]).includes(policy))
    return `policy: expected one of ${OVERRIDE_POLICIES.join(', ')}`;
  if (typeof duration !== 'number' || !(duration > 0) || duration > 7 * 86400)
    return 'duration_sec: expected a number of seconds, more than 0 and at most 604800';
  if (!reasonOf(body)) return 'reason: required, a non-empty string';
  return null;
}
