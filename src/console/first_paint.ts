// The console's first paint, rendered by the server: the served policy, its reasons and timers, and the
// overall status are in the HTML itself, so a page whose script has not run (a plain `chromium
// --headless --screenshot`, a slow link, a blocked script) shows the policy, not "loading…". The script
// (web/app.ts, web/render.ts) then renders the same elements the same way: it takes over without a flash
// (test/console/first_paint.test.ts compares the two in real Chromium).
import type { PolicyView } from '../policy_view';

/** The policy state machine's timers, as GET /console/state answers them. */
export interface ConsoleState {
  policy: string;
  since: string | null;
  latched: boolean;
  hold_down: { target: string; since: string | null; until: string | null } | null;
  override: { policy: string; reason: string; until: string | null } | null;
}

/** What the server knows at GET / for the first paint. */
export interface FirstPaint {
  view: PolicyView;
  /** The last report's overall status; null before the first cycle. */
  overall: string | null;
  state: ConsoleState;
  now: number;
}

/** HTML-escapes text (reasons carry an operator's words). */
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** web/dom.ts's span(): seconds in words. */
function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** web/dom.ts's countdown(), with the time in UTC (the script rewrites it in the browser's zone within a second). */
function countdown(untilIso: string, now: number, prefix = ''): string {
  const until = Date.parse(untilIso);
  const left = (until - now) / 1000;
  const at = new Date(until).toISOString().slice(11, 19);
  return `<span data-until="${esc(untilIso)}" data-prefix="${esc(prefix)}">${esc(prefix)}${left > 0 ? `in ${span(left)}` : 'now'} (at ${at} UTC)</span>`;
}

/** The line under the policy: web/render.ts's renderPolicy bits. */
function tradingLine(p: PolicyView): string {
  return [
    p.trading_allowed ? 'trading allowed' : 'trading NOT allowed',
    p.new_positions_allowed ? 'new positions allowed' : 'no new positions',
    `max leverage ${p.max_leverage === null ? 'unlimited' : String(p.max_leverage)}`,
    `size ×${String(p.position_size_multiplier)}`,
  ].join(' · ');
}

/** The directives in words: web/render.ts's directivesText. */
function directivesLine(p: PolicyView): string {
  const d = p.directives;
  const parts = Object.entries(d)
    .filter(([k]) => k !== 'max_leverage' && k !== 'position_size_multiplier')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`);
  const risk = p.high_risk;
  if (d.close_positions === 'high_risk') {
    const def = [
      risk.max_leverage != null ? `leverage above ${risk.max_leverage}` : '',
      risk.tags.length ? `tagged ${risk.tags.join(', ')}` : '',
    ].filter(Boolean);
    parts.push(`high risk means: ${def.join(' or ') || 'as configured'}`);
  }
  return parts.join(' · ');
}

/** The HTML of each element the first paint fills, by id: its attributes and inner HTML. */
export function firstPaint(f: FirstPaint): Record<string, { attrs?: string; html: string }> {
  const { view: p, state: s, now } = f;
  const reasons = p.reasons.length
    ? p.reasons.map((r) => `<li>${esc(r)}</li>`).join('')
    : '<li class="muted">none: all subsystems healthy</li>';
  const hold = s.hold_down;
  const o = s.override;
  const since = s.since ? span((now - Date.parse(s.since)) / 1000) : '';
  return {
    overall: f.overall
      ? { attrs: `class="badge s-${esc(f.overall)}"`, html: esc(f.overall) }
      : { attrs: 'class="badge"', html: 'first check running' },
    policy: { attrs: `class="policy p-${esc(p.policy)}"`, html: esc(p.policy) },
    trading: { attrs: 'class="muted"', html: esc(tradingLine(p)) },
    manual: { attrs: `class="alert"${p.manual_intervention_required ? '' : ' hidden'}`, html: 'Manual intervention required' },
    'valid-until': { html: countdown(p.valid_until, now, 'expires ') },
    reasons: { html: reasons },
    directives: { html: esc(directivesLine(p)) },
    'hold-down': { html: hold?.until ? `<span>stepping down to ${esc(hold.target)} ${countdown(hold.until, now)}</span>` : 'none pending' },
    latch: {
      html: s.latched
        ? `<strong>LATCHED</strong> emergency_shutdown for <span data-since="${esc(s.since ?? '')}">${since}</span> — stays until an operator resets it`
        : 'not latched',
    },
    override: {
      html: o ? `<span>${esc(o.policy)} — ${esc(o.reason)} — ends ${o.until ? countdown(o.until, now) : 'never'}</span>` : 'none',
    },
  };
}
