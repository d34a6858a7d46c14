// The webhook's intake, without HTTP: a delivery's body parsed and validated (a large one a slice
// per event-loop turn), counted, recorded, and answered once what it acknowledges is durable.
//
// Group commit: the deliveries that arrive in one turn of the event loop are recorded in one
// transaction, and each is answered once that transaction is durable. One commit per delivery
// was most of the intake's CPU (every commit writes the touched index pages to the WAL). A turn
// records a bounded number of alerts, whatever the deliveries: forty deliveries of 250 alerts
// arriving together held the loop 600 ms in one commit (issue 25).
import { runSliced, runToEnd, type Steps } from '../util/slices';
import type { Logger } from '../log/logger';
import type { IntakeResult, Recorded, RecoveryExecutor } from './executor';
import type { JournalStore } from './journal';
import type { RecoveryMetrics } from './metrics';
import { parseWebhook, type AlertIn } from './webhook';

/** Alerts recorded per transaction and event-loop turn at most (fewer when a turn would run long). */
export const SLICE_ALERTS = 250;
/** Fewest alerts a turn records, however slow the host: a storm still makes progress. */
const MIN_SLICE = 16;
/** What one turn's commit may take: the executor's pass and the HTTP requests share the same turn. */
const TURN_MS = 3;

/** What to answer a delivery: its status code and JSON body. */
export type IntakeAnswer = { status: 200; body: IntakeResult } | { status: 400 | 500 | 503; body: { error: string } };

/** What the intake records with, counts into and tells. */
export interface IntakeDeps {
  /** Records deliveries (in one transaction) and acts on what was recorded: the executor. */
  recorder: Pick<RecoveryExecutor, 'recordMany' | 'afterRecord'>;
  store: Pick<JournalStore, 'problem'>;
  metrics: Pick<RecoveryMetrics, 'alertsReceived' | 'deduplicated'>;
  logger: Logger;
  /** This host's `instance` (fleet mode), or null: alerts about another are counted as foreign. */
  instance: () => string | null;
  /** The intake counters moved: the next scrape renders afresh. */
  changed: () => void;
}

const NOT_RECORDED: IntakeAnswer = { status: 503, body: { error: 'could not record the alerts; retry' } };
const NOT_ACTED: IntakeAnswer = { status: 500, body: { error: 'recorded, but acting on the alerts failed (see the log)' } };

/** Bodies longer than this are parsed and validated in slices (the single-alert delivery is ~1 KB). */
const SLICED_BODY_CHARS = 64 * 1024;
/** Alerts validated per step of a sliced body. */
const VALIDATE_STEP = 50;

/** A body parsed and validated, a step at a time: its alerts, or the error naming the field. */
function* validate(text: string): Steps<AlertIn[] | string> {
  let body: unknown;
  try {
    body = text.length ? JSON.parse(text) : {};
  } catch (err) {
    return `malformed JSON: ${(err as Error).message}`;
  }
  const list = (body as { alerts?: unknown } | null)?.alerts;
  const total = Array.isArray(list) ? list.length : 0;
  const alerts: AlertIn[] = [];
  for (let from = 0; from === 0 || from < total; from += VALIDATE_STEP) {
    yield;
    const parsed = parseWebhook(body, from, from + VALIDATE_STEP);
    if (!parsed.ok) return parsed.error;
    for (const a of parsed.value.alerts) alerts.push(a);
  }
  return alerts;
}

/** A validated delivery waiting to be recorded, a slice at a time. */
interface Pending {
  alerts: AlertIn[];
  /** Alerts before this index are durable. */
  done: number;
  total: IntakeResult;
  answer: (a: IntakeAnswer) => void;
}

/** The intake of webhook deliveries: `receive` a body, get the answer once it is durable (or why not). */
export class Intake {
  /** Deliveries waiting, first come first served: one turn records from the head, within its budget. */
  private queue: Pending[] = [];
  /** Alerts the next turn records at most: adapted to how long the last turn took (TURN_MS). */
  private slice = SLICE_ALERTS;
  /** The last group commit's failure, until one succeeds: the service is not ready meanwhile. */
  private recordError: string | null = null;

  constructor(private readonly deps: IntakeDeps) {}

  /** Why the journal cannot record right now (its file gone or replaced, or the last commit failed), or null. */
  notReady(): string | null {
    return this.deps.store.problem() ?? (this.recordError ? `the journal cannot record: ${this.recordError}` : null);
  }

  /** A received body (JSON text): parsed, validated, counted, then recorded; resolves with the answer. */
  async receive(text: string): Promise<IntakeAnswer> {
    // A large body is validated in the shared time-boxed turns (many arriving at once stay bounded too).
    const parsed = text.length > SLICED_BODY_CHARS ? await runSliced(validate(text)) : runToEnd(validate(text));
    if (typeof parsed === 'string') return { status: 400, body: { error: parsed } };
    const alerts = parsed;
    this.deps.metrics.alertsReceived(alerts, this.deps.instance());
    return new Promise((answer) => {
      this.queue.push({ alerts, done: 0, total: { received: alerts.length, recorded: 0, deduplicated: 0 }, answer });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * One turn: records from the deliveries waiting, first come first served, at most `slice` alerts
   * in one transaction (group commit: many small deliveries share it; a storm — one delivery of
   * 10,000 alerts, or forty of 250 at once — is spread over turns). Each delivery is answered once
   * all of it is durable; a failed commit answers 503 to every delivery in it — the retry records
   * the rest (the slices already durable dedup).
   */
  private flush(): void {
    const started = performance.now();
    const parts: { p: Pending; alerts: AlertIn[] }[] = [];
    let budget = this.slice;
    for (const p of this.queue) {
      if (budget <= 0) break;
      const n = Math.min(budget, p.alerts.length - p.done);
      parts.push({ p, alerts: p.alerts.slice(p.done, p.done + n) });
      budget -= Math.max(n, 1);
    }
    const taken = this.slice - budget;
    let recorded: Recorded[];
    try {
      recorded = this.commit(() => this.deps.recorder.recordMany(parts.map((x) => x.alerts)));
    } catch (err) {
      // Only a failure to record is a 5xx: Alertmanager will retry, and the retry is idempotent.
      this.deps.logger.error({ err: (err as Error).message, deliveries: parts.length }, 'could not record webhook deliveries');
      for (const { p } of parts) this.settle(p, NOT_RECORDED);
      return this.next(started, taken);
    }
    parts.forEach(({ p, alerts }, i) => {
      const r = this.act(recorded[i]);
      if (r.status !== 200) return this.settle(p, r);
      p.done += alerts.length;
      p.total.recorded += r.body.recorded;
      p.total.deduplicated += r.body.deduplicated;
      if (p.done === p.alerts.length) this.settle(p, { status: 200, body: p.total });
    });
    this.deps.changed();
    this.next(started, taken);
  }

  /** The next turn's budget, from this one's pace; and the next turn, if anything still waits. */
  private next(started: number, taken: number): void {
    const took = performance.now() - started;
    this.slice = Math.max(MIN_SLICE, Math.min(SLICE_ALERTS, Math.floor((taken * TURN_MS) / Math.max(took, 0.05))));
    if (this.queue.length) setImmediate(() => this.flush());
  }

  private settle(p: Pending, a: IntakeAnswer): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
    p.answer(a);
  }

  /**
   * One transaction, checked first (a stat): a journal removed or replaced under us would acknowledge
   * alerts into a file nobody will read again. Its failure is remembered until a commit succeeds.
   */
  private commit<T>(record: () => T): T {
    try {
      const problem = this.deps.store.problem();
      if (problem) throw new Error(problem);
      const out = record();
      // And after: a journal lost while this turn recorded acknowledges nothing of it (issue 25).
      const lost = this.deps.store.problem();
      if (lost) throw new Error(lost);
      this.recordError = null;
      return out;
    } catch (err) {
      this.recordError = (err as Error).message;
      throw err;
    }
  }

  /** Acts on a durable delivery: a failure here is a 500 (recorded, and a retry would only deduplicate). */
  private act(rec: Recorded): IntakeAnswer {
    let result: IntakeResult;
    try {
      result = this.deps.recorder.afterRecord(rec);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message }, 'could not act on a recorded webhook delivery');
      return NOT_ACTED;
    }
    this.deps.metrics.deduplicated(result.deduplicated);
    return { status: 200, body: result };
  }
}
