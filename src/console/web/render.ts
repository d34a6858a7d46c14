// What the console shows, from the API's answers (typed by the server's own declarations). Lists
// that refresh are keyed (`data-key`) and patched in place (dom.ts), so a control an operator is
// using stays where it is.
import type { ConsoleState } from '../first_paint';
import type { ConsoleConfigView } from '../routes';
import type { WindowView } from '../../execute/maintenance';
import type { RecordView } from '../../execute/routes';
import type { RecoveryStatus, Stage } from '../../execute/status';
import type { SupervisorEvidence } from '../../handlers/handler';
import type { PolicyView } from '../../policy_view';
import type { HealthReport, RecoveryRecommendation, SubsystemHealth } from '../../types';
import { act, reasonFrom } from './api.js';
import { $, countdown, dateTime, h, patchChildren, span, tbody, tick } from './dom.js';

type SubsystemView = ConsoleConfigView['subsystems'][number];

/**
 * The recovery ladder's steps, in the order a subsystem climbs them (healthy and maintenance are off
 * the ladder). Not status.ts's STAGES, which orders every stage by how much it asks of an operator.
 */
const LADDER: readonly Stage[] = ['protecting', 'healing', 'verifying', 'escalated'];

let cfg: ConsoleConfigView | null = null;

/** The read-only settings every view needs (GET /console/config). */
export function setConfig(c: ConsoleConfigView): void {
  cfg = c;
}

export function renderPolicy(p: PolicyView): void {
  const el = $('policy');
  el.textContent = p.policy;
  el.className = `policy p-${p.policy}`;
  const bits = [
    p.trading_allowed ? 'trading allowed' : 'trading NOT allowed',
    p.new_positions_allowed ? 'new positions allowed' : 'no new positions',
    `max leverage ${p.max_leverage === null ? 'unlimited' : String(p.max_leverage)}`,
    `size ×${String(p.position_size_multiplier)}`,
  ];
  $('trading').textContent = bits.join(' · ');
  $('manual').hidden = !p.manual_intervention_required;
  $('valid-until').replaceChildren(countdown(p.valid_until, 'expires '));
  const reasons = p.reasons.map((r) => h('li', { 'data-key': r }, r));
  patchChildren($('reasons'), reasons.length ? reasons : [h('li', { class: 'muted', 'data-key': '' }, 'none: all subsystems healthy')]);
  $('directives').textContent = directivesText(p);
}

/** The policy's order-by-order directives in words; the limits are already on the line above. */
function directivesText(p: PolicyView): string {
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

export function renderState(s: ConsoleState): void {
  const hold = s.hold_down;
  $('hold-down').replaceChildren(hold?.until ? h('span', {}, `stepping down to ${hold.target} `, countdown(hold.until)) : 'none pending');
  const latch = $('latch');
  if (s.latched) {
    latch.replaceChildren(
      h('strong', {}, 'LATCHED'),
      ' emergency_shutdown for ',
      h('span', { 'data-since': s.since ?? '' }),
      ' — stays until an operator resets it',
    );
  } else latch.textContent = 'not latched';
  $('reset-form').hidden = !s.latched;
  const o = s.override;
  $('override').replaceChildren(o ? h('span', {}, `${o.policy} — ${o.reason} — ends `, o.until ? countdown(o.until) : 'never') : 'none');
  $<HTMLButtonElement>('override-lift').disabled = !o;
  tick();
}

export function renderStage(st: RecoveryStatus | null, available: boolean): void {
  const el = $('stage');
  if (!st) {
    el.textContent = available ? '–' : 'not available on this server';
    return;
  }
  const ladder = h('ol', { class: 'ladder', 'aria-label': 'recovery ladder' });
  for (const s of LADDER)
    ladder.append(h('li', s === st.stage ? { 'aria-current': 'step', class: 'current' } : {}, s === st.stage ? `▶ ${s}` : s));
  el.replaceChildren(h('strong', { 'data-stage': st.stage }, st.stage), ladder);
}

function evidence(health: SubsystemHealth | undefined, sub: SubsystemView): HTMLElement {
  const cell = h('td');
  const d = health?.details ?? {};
  const t = sub.thresholds;
  if (typeof d.age_seconds === 'number') {
    cell.append(
      `${span(d.age_seconds)} old`,
      h('br'),
      h('small', { class: 'muted limits' }, `degraded ≥ ${t.degraded_after_sec} s · critical ≥ ${t.critical_after_sec} s`),
    );
  } else if (typeof d.total === 'number') {
    cell.append(
      `${d.total} of ${String(d.expected)} present`,
      h('br'),
      h('small', { class: 'muted limits' }, `healthy ≥ ${t.healthy_min} · degraded ≥ ${t.degraded_min}`),
    );
  } else if (typeof d.size_mb === 'number') {
    cell.append(`present, ${d.size_mb} MB`);
  } else if (typeof d.latency_ms === 'number') {
    cell.append(`${d.latency_ms} ms`, h('br'), h('small', { class: 'muted limits' }, `degraded > ${t.degraded_latency_ms} ms`));
  }
  const why = d.error ?? d.warning ?? d.escalation;
  if (why !== undefined) cell.append(cell.childNodes.length ? h('br') : '', h('span', {}, String(why)));
  if (!cell.childNodes.length) cell.textContent = '–';
  return cell;
}

export function grafanaLink(path: string, text: string, label = text): HTMLElement | null {
  return cfg?.grafana_url
    ? h('a', { href: `${cfg.grafana_url}${path}`, target: '_blank', rel: 'noopener noreferrer', 'aria-label': label }, text)
    : null;
}

/** Long dependent lists fold away (keyboard-operable), short ones are shown. */
function dependents(list: string[]): HTMLElement {
  if (list.length <= 3) return h('td', {}, list.length ? list.join(', ') : '–');
  return h('td', {}, h('details', {}, h('summary', {}, `${list.length} subsystems`), list.join(', ')));
}

const CRITICALITY = { yes: 'trading-critical', partial: 'partial', no: 'not critical' } as const;

function subsystemRow(
  sub: SubsystemView,
  health: SubsystemHealth | undefined,
  st: RecoveryStatus['subsystems'][string] | undefined,
  rec: RecoveryRecommendation[],
) {
  const s = health?.status ?? 'unknown';
  const link = grafanaLink(
    `/d/selfheal-subsystem?var-subsystem=${encodeURIComponent(sub.name)}`,
    'graphs',
    `Grafana dashboard of ${sub.name}`,
  );
  link?.classList.add('gf');
  return h(
    'tr',
    { 'data-key': sub.name, 'data-subsystem': sub.name, 'data-status': s },
    h('th', { scope: 'row' }, sub.name, link),
    h('td', {}, h('span', { class: `badge s-${s}` }, s)),
    h('td', {}, st ? st.stage : '–'),
    evidence(health, sub),
    h('td', { class: 'num' }, health ? `${health.response_time_ms} ms` : '–'),
    h('td', {}, st ? String(st.consecutive_errors) : health ? `${health.error_count} in window` : '–'),
    h('td', {}, CRITICALITY[sub.criticality]),
    dependents(sub.dependents),
    h('td', {}, rec.length ? rec.map((r) => `${r.action}${r.requires_approval ? ' (needs approval)' : ''}`).join(', ') : '–'),
  );
}

export function renderSubsystems(report: HealthReport, status: RecoveryStatus | null): void {
  if (!cfg) return;
  $('overall').textContent = report.overall_status;
  $('overall').className = `badge s-${report.overall_status}`;
  const recs = new Map<string, RecoveryRecommendation[]>();
  for (const r of report.recovery_recommendations) recs.set(r.issue.subsystem, [...(recs.get(r.issue.subsystem) ?? []), r]);
  const rows = cfg.subsystems.map((sub) =>
    subsystemRow(sub, report.subsystem_health[sub.name], status?.subsystems[sub.name], recs.get(sub.name) ?? []),
  );
  patchChildren(tbody('subsystems'), rows);
}

export function renderMaintenance(windows: WindowView[] | null): void {
  const list = $('maint-list');
  const submit = $('maint-form').querySelector('button') as HTMLButtonElement;
  submit.disabled = windows === null;
  const note = (text: string) => patchChildren(list, [h('li', { class: 'muted', 'data-key': '' }, text)]);
  if (windows === null) return note('Maintenance windows are not available on this server.');
  if (!windows.length) return note('No maintenance window open.');
  patchChildren(
    list,
    windows.map((w) => {
      const who = w.subsystem ?? 'whole platform';
      const stop = h('button', { type: 'button' }, `Stop maintenance of ${who}`);
      stop.addEventListener('click', () => {
        const q = w.subsystem ? `?subsystem=${encodeURIComponent(w.subsystem)}` : '';
        void act(`Stop maintenance of ${who}`, 'DELETE', `/recovery/maintenance${q}`);
      });
      const key = w.subsystem ?? '';
      return h(
        'li',
        { 'data-key': `w:${key}`, 'data-maintenance': key },
        `Maintenance: ${who} — ${w.reason} — ends `,
        countdown(w.until),
        ' ',
        stop,
      );
    }),
  );
}

/** Pending approvals, keyed by record id: a row being used (a reason typed, a button pressed) is never replaced. */
export function renderApprovals(pending: RecordView[] | null, why = 'The recovery receiver is not enabled on this server.'): void {
  const list = $('approvals');
  $('approvals-count').textContent = pending ? `(${pending.length})` : '';
  if (pending === null) return patchChildren(list, [h('li', { class: 'muted', 'data-key': '' }, why)]);
  const rows = pending.map(approvalItem);
  patchChildren(list, rows.length ? rows : [h('li', { class: 'muted', 'data-key': '' }, 'Nothing waits for approval.')]);
}

function approvalItem(p: RecordView): HTMLElement {
  const inputId = `reason-${p.id}`;
  const input = h('input', { id: inputId, maxlength: '500', autocomplete: 'off', 'aria-required': 'true' }) as HTMLInputElement;
  const approve = h('button', { type: 'button', class: 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'reject' }, 'Reject');
  const decide = (verb: 'approve' | 'reject') => {
    const reason = reasonFrom(input, verb);
    const what = `${verb === 'approve' ? 'Approve' : 'Reject'} ${p.action ?? 'no action'} on ${p.subsystem ?? 'the platform'}`;
    if (reason) void act(what, 'POST', `/recovery/${encodeURIComponent(p.id)}/${verb}`, { reason });
  };
  approve.addEventListener('click', () => decide('approve'));
  reject.addEventListener('click', () => decide('reject'));
  return h(
    'li',
    { 'data-key': p.id, 'data-approval-id': p.id },
    h('strong', {}, `${p.action ?? 'no action'} on ${p.subsystem ?? 'the platform'}`),
    ` — alert ${p.alertname} (${p.issue_severity ?? 'no severity'}) since ${dateTime(Date.parse(p.starts_at))} — ${p.state_words}`,
    h('br'),
    h('small', { class: 'muted' }, p.reason),
    h('div', { class: 'row' }, h('label', { for: inputId }, 'Reason'), input, approve, reject),
  );
}

/** The supervisor's before → after in one line: StartedAt for a container; MainPID and ActiveEnterTimestamp for a unit. */
function evidenceLine(e: SupervisorEvidence): string {
  const pairs: [string, unknown, unknown][] =
    e.kind === 'docker'
      ? [['StartedAt', e.before?.started_at, e.after?.started_at]]
      : [
          ['MainPID', e.before?.main_pid, e.after?.main_pid],
          ['ActiveEnterTimestamp', e.before?.active_enter_timestamp, e.after?.active_enter_timestamp],
        ];
  return `${e.kind} ${e.op} ${e.target}: ${pairs.map(([l, b, a]) => `${l} ${String(b ?? '?')} → ${String(a ?? '?')}`).join(', ')}`;
}

function historyRow(r: RecordView): HTMLElement {
  const took =
    r.started_at !== null && r.finished_at !== null ? span((r.finished_at - r.started_at) / 1000) : r.started_at !== null ? 'running' : '–';
  const link = grafanaLink('/d/selfheal-recovery', 'graphs', 'Grafana recovery dashboard');
  link?.classList.add('gf');
  const detail = r.evidence ? [h('br'), h('small', { 'data-evidence': r.evidence.kind }, evidenceLine(r.evidence))] : [];
  return h(
    'tr',
    { 'data-key': r.id, 'data-action-id': r.id, 'data-state': r.state },
    h('td', {}, dateTime(r.created_at).slice(0, 10), h('br'), dateTime(r.created_at).slice(11)),
    h('td', {}, r.subsystem ?? '–'),
    h('td', {}, r.action ?? '–'),
    h('td', {}, r.state_words),
    h('td', {}, r.outcome ?? '–'),
    h('td', {}, r.detail ?? '–', ...detail),
    h('td', {}, took),
    h('td', {}, `${r.alertname} (${r.issue_severity ?? '–'})`, h('br'), h('small', { class: 'muted' }, r.fingerprint), link),
    h('td', {}, h('small', {}, r.reason)),
  );
}

/** The history, filtered by subsystem and state, keyed by record id. */
export function renderHistory(actions: RecordView[]): void {
  const sub = $<HTMLSelectElement>('filter-subsystem').value;
  const state = $<HTMLSelectElement>('filter-state').value;
  const rows = actions.filter((r) => (!sub || r.subsystem === sub) && (!state || r.state === state)).map(historyRow);
  const none = actions.length ? 'No action matches the filter.' : 'No recovery action recorded yet.';
  patchChildren(tbody('history'), rows.length ? rows : [h('tr', { 'data-key': '' }, h('td', { colspan: '9', class: 'muted' }, none))]);
}
