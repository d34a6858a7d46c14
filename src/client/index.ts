// A client for trading bots: follows /policy/stream (Server-Sent Events), polls /policy while the
// stream is down, and FAILS CLOSED at once — when a request to selfheal fails (connection refused, a
// timeout, an error status), when the stream ends and cannot be re-established, when the policy is
// past valid_until, or before the first policy — it answers as if the policy were no_new_trades (or
// stricter, if the last one was), until selfheal answers again. Exits are never blocked: canReduce()
// is true whatever happens. Published on its own as `selfheal-client` (clients/typescript).
import { EventEmitter } from 'node:events';
import {
  DEFAULT_HIGH_RISK,
  POLICY_DIRECTIVES,
  failClosedDirectives,
  failClosedPolicy,
  type ClosePositions,
  type Directives,
  type HighRiskDefinition,
} from '../recommend/directives';
import type { PolicyView } from '../policy_view';
import { SAFETY_POLICIES, policyLevel, type SafetyPolicy } from '../types';

export type { ClosePositions, Directives, HighRiskDefinition, PolicyView } from '../policy_view';
export type { SafetyPolicy } from '../types';

/** How to reach selfheal and how to behave while it cannot be reached. */
export interface PolicyClientOptions {
  /** e.g. http://127.0.0.1:8477 */
  baseUrl: string;
  /** Polling period while the stream is down (default 2000 ms). */
  pollIntervalMs?: number;
  /** Delay before reconnecting the stream (default 1000 ms). */
  reconnectMs?: number;
  clock?: () => number;
  headers?: Record<string, string>;
}

/** Position limits for new orders under the current (or fail-closed) policy. */
export interface Limits {
  max_leverage: number | null;
  position_size_multiplier: number;
}

/**
 * A bot's view of selfheal's policy: call start(), then ask canOpenPosition()/canIncrease()/canReduce()/
 * mustClose() before every order. Emits `change` with each new effective policy and `error` when
 * selfheal cannot be reached (the answers then fail closed).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events below, for any @types/node
export class PolicyClient extends EventEmitter {
  private last: PolicyView | null = null;
  /** Bumped on every accepted view: a poll answer that raced a stream event must not overwrite it. */
  private generation = 0;
  private lastEffective: string | null = null;
  /** The last contact with selfheal: a failed one fails closed until the next succeeds (null: none yet). */
  private contact: { ok: true } | { ok: false; since: number; why: string } | null = null;
  private running = false;
  private streaming = false;
  private abort: AbortController | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  private readonly base: string;

  constructor(private readonly opts: PolicyClientOptions) {
    super();
    this.clock = opts.clock ?? Date.now;
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  /** The policy to obey now. Never throws; never more permissive than what the service last said. */
  current(): PolicyView {
    const now = this.clock();
    const last = this.last;
    if (last && this.contact?.ok !== false && Date.parse(last.valid_until) >= now) return last;
    const policy = failClosedPolicy(last?.policy ?? null);
    return {
      policy,
      level: policyLevel(policy),
      trading_allowed: false,
      new_positions_allowed: false,
      max_leverage: 0,
      position_size_multiplier: 0,
      directives: failClosedDirectives(last?.policy ?? null),
      high_risk: last?.high_risk ?? { ...DEFAULT_HIGH_RISK, tags: [...DEFAULT_HIGH_RISK.tags] },
      manual_intervention_required: policy === 'emergency_shutdown' && last?.manual_intervention_required === true,
      reasons: [this.failClosedReason()],
      timestamp: new Date(now).toISOString(),
      valid_until: new Date(now).toISOString(),
    };
  }

  /** Whether current() is selfheal's own answer (reachable, in time), not the client's fail-closed one. */
  live(): boolean {
    const last = this.last;
    return last !== null && this.contact?.ok !== false && Date.parse(last.valid_until) >= this.clock();
  }

  /**
   * Resolves with the first policy the effective view satisfies (checked at once and on every change),
   * or null after timeoutMs. Before a bot's first order: `await policy.waitForPolicy(10_000)`.
   */
  waitFor(predicate: (p: PolicyView) => boolean, timeoutMs: number): Promise<PolicyView | null> {
    if (predicate(this.current())) return Promise.resolve(this.current());
    return new Promise((resolve) => {
      const onChange = (p: PolicyView) => {
        if (!predicate(p)) return;
        done();
        resolve(p);
      };
      const timer = setTimeout(() => {
        done();
        resolve(null);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.off('change', onChange);
      };
      this.on('change', onChange);
    });
  }

  /** Resolves with selfheal's first policy (not the fail-closed answer), or null after timeoutMs. */
  waitForPolicy(timeoutMs: number): Promise<PolicyView | null> {
    return this.waitFor(() => this.live(), timeoutMs);
  }

  /** Why current() fails closed now, in words. */
  private failClosedReason(): string {
    const c = this.contact;
    if (c && !c.ok) return `selfheal unreachable since ${new Date(c.since).toISOString()} (${c.why}): failing closed until it answers`;
    if (this.last) return `policy expired at ${this.last.valid_until} (valid_until) with no word from selfheal since: failing closed`;
    return 'no policy received from selfheal yet: failing closed';
  }

  /** Records the outcome of a contact with selfheal; a failure takes effect at once. */
  private contacted(err: unknown): void {
    if (err === null) this.contact = { ok: true };
    else if (this.contact?.ok !== false) this.contact = { ok: false, since: this.clock(), why: asError(err).message };
    this.emitIfChanged();
  }

  /** What the bot may do now (the fail-closed row when the policy is stale or selfheal unreachable). */
  directives(): Directives {
    return this.current().directives;
  }

  /** May the bot open a new position now? */
  canOpenPosition(): boolean {
    return this.current().directives.open_positions;
  }

  /** May the bot add to an existing position now? */
  canIncrease(): boolean {
    return this.current().directives.increase_positions;
  }

  /** May the bot reduce or close a position? Always: nothing may stop a bot from reducing risk. */
  canReduce(): true {
    return true;
  }

  /** Which positions the bot must close now: none, the high-risk ones (see highRisk()), or all. */
  mustClose(): ClosePositions {
    return this.current().directives.close_positions;
  }

  /** What "high_risk" means for mustClose() (the service's `policy.high_risk`). */
  highRisk(): HighRiskDefinition {
    return this.current().high_risk;
  }

  /** Leverage and size limits for new orders (nothing, at no leverage, where no new position may be opened). */
  limits(): Limits {
    const p = this.current();
    return { max_leverage: p.max_leverage, position_size_multiplier: p.position_size_multiplier };
  }

  /** Fetches /policy once; a failure fails closed at once (and is thrown) until selfheal answers again. */
  async refresh(): Promise<PolicyView> {
    const since = this.generation;
    let view: PolicyView;
    try {
      const res = await fetch(`${this.base}/policy`, { headers: this.opts.headers, signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`GET /policy: HTTP ${res.status}`);
      view = (await res.json()) as PolicyView;
    } catch (err) {
      this.contacted(causeOf(err, 'GET /policy'));
      throw err;
    }
    this.contact = { ok: true };
    this.accept(view, since);
    return this.current();
  }

  /** Follows /policy/stream and polls /policy while the stream is down. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.streamLoop();
    this.schedulePoll(0);
  }

  /** Stops following and polling; the last view stays, and fails closed once it expires. */
  stop(): void {
    this.running = false;
    this.abort?.abort();
    for (const t of [this.pollTimer, this.expiryTimer]) if (t) clearTimeout(t);
  }

  /** Takes a view; one fetched since generation `since` is dropped if the stream delivered a newer one meanwhile. */
  private accept(raw: PolicyView, since?: number): void {
    if (since !== undefined && since !== this.generation) return;
    const view = normalize(raw);
    if (!view) {
      this.emit('error', new Error(`selfheal sent a policy this client does not know: ${JSON.stringify(raw?.policy)}`));
      return;
    }
    this.last = view;
    this.generation++;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const wait = Date.parse(view.valid_until) - this.clock() + 1;
    if (this.running && wait > 0) {
      this.expiryTimer = setTimeout(() => this.emitIfChanged(), Math.min(wait, 2 ** 31 - 1));
      this.expiryTimer.unref();
    }
    this.emitIfChanged();
  }

  private emitIfChanged(): void {
    const eff = this.current();
    const key = JSON.stringify([eff.policy, eff.directives, eff.manual_intervention_required, eff.high_risk]);
    if (key !== this.lastEffective) {
      this.lastEffective = key;
      this.emit('change', eff);
    }
  }

  private schedulePoll(delay: number): void {
    if (!this.running) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(async () => {
      if (!this.streaming) {
        try {
          await this.refresh();
        } catch (err) {
          this.emit('error', asError(err));
          this.emitIfChanged();
        }
      }
      this.schedulePoll(this.opts.pollIntervalMs ?? 2000);
    }, delay);
    this.pollTimer.unref();
  }

  private async streamLoop(): Promise<void> {
    while (this.running) {
      this.abort = new AbortController();
      let delay = this.opts.reconnectMs ?? 1000;
      try {
        const res = await fetch(`${this.base}/policy/stream`, {
          headers: { ...this.opts.headers, Accept: 'text/event-stream' },
          signal: this.abort.signal,
        });
        if (!res.ok || !res.body) throw new StreamRefused(res.status, res.headers.get('retry-after'));
        this.streaming = true;
        this.contacted(null);
        await this.readEvents(res.body);
      } catch (err) {
        if (this.running && !this.abort.signal.aborted) {
          // Could not (re-)establish the stream: fail closed now. A stream that ends after it was up is no
          // failure by itself, nor is a refusal (selfheal answered, e.g. its stream cap): the poll that
          // follows at once (below) and the reconnect decide.
          if (err instanceof StreamRefused) delay = Math.max(delay, err.retryAfterMs);
          else if (!this.streaming) this.contacted(causeOf(err, 'GET /policy/stream'));
          this.emit('error', asError(err));
        }
      } finally {
        this.streaming = false;
      }
      if (!this.running) return;
      this.emitIfChanged();
      this.schedulePoll(0);
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }

  private async readEvents(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trim();
        }
        if (!data) continue;
        if (event === 'policy') this.accept(JSON.parse(data) as PolicyView);
        else if (event === 'refresh' && this.last) {
          const r = JSON.parse(data) as { timestamp: string; valid_until: string; policy: SafetyPolicy };
          if (r.policy === this.last.policy) this.accept({ ...this.last, timestamp: r.timestamp, valid_until: r.valid_until });
          else void this.refresh().catch(() => undefined);
        }
      }
    }
  }
}

/** What a PolicyClient emits: `change` with the effective (fail-closed) policy, `error` when selfheal cannot be reached. */
export interface PolicyClientEvents {
  change: [policy: PolicyView];
  error: [err: Error];
}

/**
 * Typed `on`/`once`/`off` for the events above, merged into the class: `EventEmitter<Events>` would need an
 * `@types/node` new enough to have the generic, and a bot's build must not depend on which one it has.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface PolicyClient {
  /** Listens to `change` (the new effective policy) or `error` (selfheal could not be reached). */
  on<E extends keyof PolicyClientEvents>(event: E, listener: (...args: PolicyClientEvents[E]) => void): this;
  /** Listens to the next `change` or `error` only. */
  once<E extends keyof PolicyClientEvents>(event: E, listener: (...args: PolicyClientEvents[E]) => void): this;
  /** Stops listening. */
  off<E extends keyof PolicyClientEvents>(event: E, listener: (...args: PolicyClientEvents[E]) => void): this;
}

/**
 * A view as received, made safe to obey: an unknown policy is refused (null); a view from a service
 * older than the directives gets them from the table; reduce_positions is true whatever was sent.
 */
function normalize(view: PolicyView): PolicyView | null {
  if (!view || !(SAFETY_POLICIES as readonly string[]).includes(view.policy)) return null;
  const policy: SafetyPolicy = view.policy;
  const directives: Directives = view.directives
    ? { ...view.directives, reduce_positions: true }
    : { ...POLICY_DIRECTIVES[policy], max_leverage: view.max_leverage, position_size_multiplier: view.position_size_multiplier };
  return {
    ...view,
    directives,
    high_risk: view.high_risk ?? { ...DEFAULT_HIGH_RISK, tags: [...DEFAULT_HIGH_RISK.tags] },
    manual_intervention_required: view.manual_intervention_required === true,
  };
}

/** selfheal answered but refused the stream (its stream cap: 503 with Retry-After): contact, not a loss of it. */
class StreamRefused extends Error {
  readonly retryAfterMs: number;
  constructor(status: number, retryAfter: string | null) {
    super(`GET /policy/stream: HTTP ${status}`);
    const sec = Number(retryAfter ?? 0);
    this.retryAfterMs = Number.isFinite(sec) ? Math.min(60, Math.max(0, sec)) * 1000 : 0;
  }
}

/** A failed request as one line: fetch's "fetch failed" says nothing; its cause (ECONNREFUSED…) does. */
function causeOf(err: unknown, what: string): Error {
  const e = asError(err) as Error & { cause?: { code?: string; message?: string } };
  const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.cause?.message ?? e.message);
  return new Error(why.startsWith(what) ? why : `${what}: ${why}`);
}

/** `error` listeners always get an Error, whatever was thrown. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
