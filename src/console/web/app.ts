// The operator console's script: live over /policy/stream (EventSource), re-reading the state once per
// event — never on a polling loop — and acting through the API with the operator token as a header.
// Everything is built with textContent: nothing from the server is ever parsed as HTML.

export {}; // a module: nothing here leaks into the page's globals

type Json = Record<string, unknown>;
interface SubCfg {
  name: string;
  criticality: string;
  dependents: string[];
  check: string;
  interval_sec: number;
  thresholds: Record<string, number>;
}
interface ConsoleCfg {
  version: string;
  grafana_url: string | null;
  receiver_enabled: boolean;
  token_configured: boolean;
  token_header: 'Authorization' | 'X-Selfheal-Token';
  hold_down_sec: number;
  policies: string[];
  require_approval: string[];
  subsystems: SubCfg[];
}
interface Health {
  subsystem: string;
  status: string;
  response_time_ms: number;
  error_count: number;
  details: Json;
}
interface Recommendation {
  action: string;
  requires_approval: boolean;
  issue: { subsystem: string; description: string };
}
interface Report {
  overall_status: string;
  subsystem_health: Record<string, Health>;
  recovery_recommendations: Recommendation[];
}
interface MaintWindow {
  subsystem: string | null;
  reason: string;
  started_at: string;
  until: string;
}
interface SubStatus {
  status: string;
  stage: string;
  consecutive_errors: number;
  recovery_failures: number;
}
interface RecoveryStatus {
  stage: string;
  maintenance: MaintWindow[];
  subsystems: Record<string, SubStatus>;
}
interface ActionRec {
  id: string;
  alertname: string;
  fingerprint: string;
  starts_at: string;
  subsystem: string | null;
  action: string | null;
  issue_severity: string | null;
  state: string;
  reason: string;
  expires_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  outcome: string | null;
  detail: string | null;
  evidence: Evidence | null;
}
/** A supervisor's account of a docker or systemd handler's action (docs/openapi.yaml SupervisorEvidence). */
interface Evidence {
  kind: 'docker' | 'systemd';
  op: string;
  target: string;
  before: Record<string, string | number | boolean | null> | null;
  after: Record<string, string | number | boolean | null> | null;
}
interface PolicyState {
  latched: boolean;
  since: string;
  hold_down: { target: string; since: string; until: string } | null;
  override: { policy: string; reason: string; until: string | null } | null;
}
interface Reply {
  ok: boolean;
  status: number;
  body: unknown;
}

const TOKEN_KEY = 'selfheal.operator_token';
const STAGES = ['protecting', 'healing', 'verifying', 'escalated'];
const STATES = [
  'recorded',
  'pending_approval',
  'running',
  'verifying',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'cancelled',
  'dry_run',
  'ignored',
  'resolved',
];

let cfg: ConsoleCfg | null = null;
let actions: ActionRec[] = [];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** A table's body: the page's markup has one in each table this script fills. */
const tbody = (id: string): HTMLTableSectionElement => $(id).querySelector('tbody') ?? $(id).appendChild(document.createElement('tbody'));

/** An element with attributes and children (strings become text nodes). */
function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

const time = (iso: string | number) => new Date(iso).toLocaleTimeString([], { hour12: false });
const dateTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';

function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A live countdown: the 1-second ticker rewrites it locally (no request). */
function countdown(untilIso: string, prefix = ''): HTMLElement {
  const el = h('span', { 'data-until': untilIso, 'data-prefix': prefix });
  tickOne(el);
  return el;
}
function tickOne(el: HTMLElement): void {
  const until = Date.parse(el.dataset.until ?? '');
  const left = (until - Date.now()) / 1000;
  el.textContent = `${el.dataset.prefix ?? ''}${left > 0 ? `in ${span(left)}` : 'now'} (at ${time(until)})`;
}
function tick(): void {
  document.querySelectorAll<HTMLElement>('[data-until]').forEach(tickOne);
  document.querySelectorAll<HTMLElement>('[data-since]').forEach((el) => {
    el.textContent = `${el.dataset.prefix ?? ''}${span((Date.now() - Date.parse(el.dataset.since ?? '')) / 1000)}`;
  });
}

function token(): string {
  return $<HTMLInputElement>('token').value.trim();
}

async function call(method: string, path: string, body?: unknown, auth = false): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  // Every POST is JSON (the server refuses others unread: no cross-site form can act), bodyless ones too.
  if (body === undefined && method === 'POST') body = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && token()) {
    if (cfg?.token_header === 'X-Selfheal-Token') headers['X-Selfheal-Token'] = token();
    else headers.Authorization = `Bearer ${token()}`;
  }
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { ok: res.ok, status: res.status, body: parsed };
  } catch (err) {
    return { ok: false, status: 0, body: { error: `network error: ${(err as Error).message}` } };
  }
}

function notice(text: string, error: boolean): void {
  const n = $('notice');
  n.textContent = text;
  n.className = error ? 'notice error' : 'notice';
  n.setAttribute('role', error ? 'alert' : 'status');
  n.hidden = false;
}

/** Runs an operator action and says plainly whether it was done or refused, and why. */
async function act(label: string, method: string, path: string, body?: unknown): Promise<boolean> {
  const r = await call(method, path, body, true);
  if (r.ok) {
    notice(`${label}: done.`, false);
  } else {
    const err = (r.body as Json | null)?.error ?? r.body ?? 'no reason given';
    const hint = r.status === 401 && !token() ? ' Enter the operator token above.' : '';
    notice(`${label}: refused (HTTP ${r.status || 'no answer'}): ${String(err)}.${hint}`, true);
  }
  void refresh();
  return r.ok;
}

/** A required reason: an inline error and focus, and no request, when it is empty. */
function reasonFrom(input: HTMLInputElement, what: string): string | null {
  const v = input.value.trim();
  const errId = `${input.id}-error`;
  document.getElementById(errId)?.remove();
  if (v) {
    input.removeAttribute('aria-invalid');
    return v;
  }
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', errId);
  input.after(h('span', { id: errId, class: 'field-error' }, `A reason is required to ${what}.`));
  input.focus();
  return null;
}

// ---- rendering -------------------------------------------------------------------------------

function renderPolicy(p: Json): void {
  const el = $('policy');
  const name = String(p.policy);
  el.textContent = name;
  el.className = `policy p-${name}`;
  const bits = [
    p.trading_allowed ? 'trading allowed' : 'trading NOT allowed',
    p.new_positions_allowed ? 'new positions allowed' : 'no new positions',
    `max leverage ${p.max_leverage === null ? 'unlimited' : String(p.max_leverage)}`,
    `size ×${String(p.position_size_multiplier)}`,
  ];
  $('trading').textContent = bits.join(' · ');
  $('manual').hidden = p.manual_intervention_required !== true;
  $('valid-until').replaceChildren(typeof p.valid_until === 'string' ? countdown(p.valid_until, 'expires ') : '–');
  const reasons = Array.isArray(p.reasons) ? (p.reasons as string[]) : [];
  $('reasons').replaceChildren(
    ...(reasons.length ? reasons.map((r) => h('li', {}, r)) : [h('li', { class: 'muted' }, 'none: all subsystems healthy')]),
  );
  $('directives').textContent = directivesText(p);
}

/** The policy's order-by-order directives in words; the limits are already on the line above. */
function directivesText(p: Json): string {
  const d = p.directives as Json | undefined;
  if (!d || typeof d !== 'object') return 'not provided by this server';
  const parts = Object.entries(d)
    .filter(([k]) => k !== 'max_leverage' && k !== 'position_size_multiplier')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`);
  const risk = p.high_risk as { max_leverage?: number | null; tags?: string[] } | undefined;
  if (d.close_positions === 'high_risk' && risk) {
    const def = [
      risk.max_leverage != null ? `leverage above ${risk.max_leverage}` : '',
      risk.tags?.length ? `tagged ${risk.tags.join(', ')}` : '',
    ].filter(Boolean);
    parts.push(`high risk means: ${def.join(' or ') || 'as configured'}`);
  }
  return parts.join(' · ');
}

function renderState(s: PolicyState): void {
  const hold = s.hold_down;
  $('hold-down').replaceChildren(hold ? h('span', {}, `stepping down to ${hold.target} `, countdown(hold.until)) : 'none pending');
  const latch = $('latch');
  if (s.latched) {
    latch.replaceChildren(
      h('strong', {}, 'LATCHED'),
      ' emergency_shutdown for ',
      h('span', { 'data-since': s.since }),
      ' — stays until an operator resets it',
    );
  } else latch.textContent = 'not latched';
  $('reset-form').hidden = !s.latched;
  const o = s.override;
  $('override').replaceChildren(o ? h('span', {}, `${o.policy} — ${o.reason} — ends `, o.until ? countdown(o.until) : 'never') : 'none');
  $<HTMLButtonElement>('override-lift').disabled = !o;
  tick();
}

function renderStage(st: RecoveryStatus | null, available: boolean): void {
  const el = $('stage');
  if (!st) {
    el.textContent = available ? '–' : 'not available on this server';
    return;
  }
  const ladder = h('ol', { class: 'ladder', 'aria-label': 'recovery ladder' });
  for (const s of STAGES)
    ladder.append(h('li', s === st.stage ? { 'aria-current': 'step', class: 'current' } : {}, s === st.stage ? `▶ ${s}` : s));
  el.replaceChildren(h('strong', { 'data-stage': st.stage }, st.stage), ladder);
}

function evidence(health: Health | undefined, sub: SubCfg): HTMLElement {
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

function grafanaLink(path: string, text: string, label = text): HTMLElement | null {
  return cfg?.grafana_url
    ? h('a', { href: `${cfg.grafana_url}${path}`, target: '_blank', rel: 'noopener noreferrer', 'aria-label': label }, text)
    : null;
}

/** Long dependent lists fold away (keyboard-operable), short ones are shown. */
function dependents(list: string[]): HTMLElement {
  if (list.length <= 3) return h('td', {}, list.length ? list.join(', ') : '–');
  return h('td', {}, h('details', {}, h('summary', {}, `${list.length} subsystems`), list.join(', ')));
}

function renderSubsystems(report: Report, status: RecoveryStatus | null): void {
  if (!cfg) return;
  $('overall').textContent = report.overall_status;
  $('overall').className = `badge s-${report.overall_status}`;
  const recs = new Map<string, Recommendation[]>();
  for (const r of report.recovery_recommendations) recs.set(r.issue.subsystem, [...(recs.get(r.issue.subsystem) ?? []), r]);
  const rows = cfg.subsystems.map((sub) => {
    const health = report.subsystem_health[sub.name];
    const s = health?.status ?? 'unknown';
    const st = status?.subsystems[sub.name];
    const link = grafanaLink(
      `/d/selfheal-subsystem?var-subsystem=${encodeURIComponent(sub.name)}`,
      'graphs',
      `Grafana dashboard of ${sub.name}`,
    );
    link?.classList.add('gf');
    const rec = recs.get(sub.name) ?? [];
    return h(
      'tr',
      { 'data-subsystem': sub.name, 'data-status': s },
      h('th', { scope: 'row' }, sub.name, link),
      h('td', {}, h('span', { class: `badge s-${s}` }, s)),
      h('td', {}, st ? st.stage : '–'),
      evidence(health, sub),
      h('td', { class: 'num' }, health ? `${health.response_time_ms} ms` : '–'),
      h('td', {}, st ? String(st.consecutive_errors) : health ? `${health.error_count} in window` : '–'),
      h('td', {}, sub.criticality === 'yes' ? 'trading-critical' : sub.criticality === 'partial' ? 'partial' : 'not critical'),
      dependents(sub.dependents),
      h('td', {}, rec.length ? rec.map((r) => `${r.action}${r.requires_approval ? ' (needs approval)' : ''}`).join(', ') : '–'),
    );
  });
  tbody('subsystems').replaceChildren(...rows);
}

function renderMaintenance(windows: MaintWindow[] | null): void {
  const list = $('maint-list');
  const submit = $('maint-form').querySelector('button') as HTMLButtonElement;
  submit.disabled = windows === null;
  if (windows === null)
    return void list.replaceChildren(h('li', { class: 'muted' }, 'Maintenance windows are not available on this server.'));
  if (!windows.length) return void list.replaceChildren(h('li', { class: 'muted' }, 'No maintenance window open.'));
  list.replaceChildren(
    ...windows.map((w) => {
      const who = w.subsystem ?? 'whole platform';
      const stop = h('button', { type: 'button' }, `Stop maintenance of ${who}`);
      stop.addEventListener('click', () => {
        const q = w.subsystem ? `?subsystem=${encodeURIComponent(w.subsystem)}` : '';
        void act(`Stop maintenance of ${who}`, 'DELETE', `/recovery/maintenance${q}`);
      });
      return h('li', { 'data-maintenance': w.subsystem ?? '' }, `Maintenance: ${who} — ${w.reason} — ends `, countdown(w.until), ' ', stop);
    }),
  );
}

/** Pending approvals, updated in place so a reason being typed survives a refresh. */
function renderApprovals(pending: ActionRec[] | null, why = 'The recovery receiver is not enabled on this server.'): void {
  const list = $('approvals');
  $('approvals-count').textContent = pending ? `(${pending.length})` : '';
  if (pending === null) return void list.replaceChildren(h('li', { class: 'muted' }, why));
  const ids = new Set(pending.map((p) => p.id));
  list.querySelectorAll<HTMLElement>('li').forEach((li) => {
    if (!li.dataset.approvalId || !ids.has(li.dataset.approvalId)) li.remove();
  });
  for (const p of pending) {
    if (list.querySelector(`[data-approval-id="${CSS.escape(p.id)}"]`)) continue;
    list.append(approvalItem(p));
  }
  if (!pending.length) list.append(h('li', { class: 'muted' }, 'Nothing waits for approval.'));
}

function approvalItem(p: ActionRec): HTMLElement {
  const inputId = `reason-${p.id}`;
  const input = h('input', { id: inputId, maxlength: '500', autocomplete: 'off', 'aria-required': 'true' }) as HTMLInputElement;
  const approve = h('button', { type: 'button', class: 'approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'reject' }, 'Reject');
  const decide = (verb: 'approve' | 'reject') => {
    const reason = reasonFrom(input, verb);
    if (reason)
      void act(
        `${verb === 'approve' ? 'Approve' : 'Reject'} ${p.action} on ${p.subsystem}`,
        'POST',
        `/recovery/${encodeURIComponent(p.id)}/${verb}`,
        { reason },
      );
  };
  approve.addEventListener('click', () => decide('approve'));
  reject.addEventListener('click', () => decide('reject'));
  return h(
    'li',
    { 'data-approval-id': p.id },
    h('strong', {}, `${p.action ?? 'no action'} on ${p.subsystem ?? 'the platform'}`),
    ` — alert ${p.alertname} (${p.issue_severity ?? 'no severity'}) since ${dateTime(Date.parse(p.starts_at))}`,
    p.expires_at ? h('span', {}, ' — expires ', countdown(new Date(p.expires_at).toISOString())) : null,
    h('br'),
    h('small', { class: 'muted' }, p.reason),
    h('div', { class: 'row' }, h('label', { for: inputId }, 'Reason'), input, approve, reject),
  );
}

/** The supervisor's before → after in one line: StartedAt for a container; MainPID and ActiveEnterTimestamp for a unit. */
function evidenceLine(e: Evidence): string {
  const at = (k: string, x: Evidence['before']) => String(x?.[k] ?? '?');
  const keys = e.kind === 'docker' ? ['started_at'] : ['main_pid', 'active_enter_timestamp'];
  const label: Record<string, string> = { started_at: 'StartedAt', main_pid: 'MainPID', active_enter_timestamp: 'ActiveEnterTimestamp' };
  return `${e.kind} ${e.op} ${e.target}: ${keys.map((k) => `${label[k]} ${at(k, e.before)} → ${at(k, e.after)}`).join(', ')}`;
}

function renderHistory(): void {
  const sub = $<HTMLSelectElement>('filter-subsystem').value;
  const state = $<HTMLSelectElement>('filter-state').value;
  const rows = actions
    .filter((r) => (!sub || r.subsystem === sub) && (!state || r.state === state))
    .map((r) => {
      const took =
        r.started_at !== null && r.finished_at !== null
          ? span((r.finished_at - r.started_at) / 1000)
          : r.started_at !== null
            ? 'running'
            : '–';
      const link = grafanaLink('/d/selfheal-recovery', 'graphs', 'Grafana recovery dashboard');
      link?.classList.add('gf');
      return h(
        'tr',
        { 'data-action-id': r.id, 'data-state': r.state },
        h('td', {}, dateTime(r.created_at).slice(0, 10), h('br'), dateTime(r.created_at).slice(11)),
        h('td', {}, r.subsystem ?? '–'),
        h('td', {}, r.action ?? '–'),
        h('td', {}, r.state),
        h('td', {}, r.outcome ?? '–'),
        h(
          'td',
          {},
          r.detail ?? '–',
          ...(r.evidence ? [h('br'), h('small', { 'data-evidence': r.evidence.kind }, evidenceLine(r.evidence))] : []),
        ),
        h('td', {}, took),
        h('td', {}, `${r.alertname} (${r.issue_severity ?? '–'})`, h('br'), h('small', { class: 'muted' }, r.fingerprint), link),
        h('td', {}, h('small', {}, r.reason)),
      );
    });
  tbody('history').replaceChildren(
    ...(rows.length
      ? rows
      : [
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: '9', class: 'muted' },
              actions.length ? 'No action matches the filter.' : 'No recovery action recorded yet.',
            ),
          ),
        ]),
  );
}

// ---- data ----------------------------------------------------------------------------------

let inFlight: Promise<void> | null = null;
/** A server without /recovery/status (an older one) is not asked again on every event. */
let statusMissing = false;
let again = false;

/** Re-reads the state once; refreshes asked for meanwhile collapse into one more read. */
function refresh(): Promise<void> {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  inFlight = load().finally(() => {
    inFlight = null;
    if (again) {
      again = false;
      void refresh();
    }
  });
  return inFlight;
}

async function load(): Promise<void> {
  const receiver = cfg?.receiver_enabled ?? false;
  // The journal is the operator's to read: with a token configured, ask only once one is entered.
  const readable = receiver && (!cfg?.token_configured || token() !== '');
  const [policy, report, status, state, pending, hist] = await Promise.all([
    call('GET', '/policy'),
    call('GET', '/report'),
    statusMissing ? Promise.resolve<Reply>({ ok: false, status: 404, body: null }) : call('GET', '/recovery/status'),
    call('GET', '/console/state'),
    readable ? call('GET', '/recovery/pending', undefined, true) : Promise.resolve(null),
    readable ? call('GET', '/recovery/history?limit=200', undefined, true) : Promise.resolve(null),
  ]);
  if (policy.ok) renderPolicy(policy.body as Json);
  if (status.status === 404) statusMissing = true;
  const st = status.ok ? (status.body as RecoveryStatus) : null;
  renderStage(st, status.status !== 404);
  renderMaintenance(st ? st.maintenance : null);
  if (report.ok) renderSubsystems(report.body as Report, st);
  if (state.ok) renderState(state.body as PolicyState);
  const locked = receiver && !readable ? 'Enter the operator token above to see pending approvals and the history.' : undefined;
  const refused =
    pending && !pending.ok
      ? `Refused (HTTP ${pending.status}): ${String((pending.body as Json | null)?.error ?? 'no reason given')}`
      : undefined;
  renderApprovals(pending?.ok ? (pending.body as ActionRec[]) : null, locked ?? refused);
  if (hist?.ok) {
    actions = hist.body as ActionRec[];
    renderHistory();
  }
}

function connect(): void {
  const live = $('live');
  const es = new EventSource('/policy/stream');
  es.addEventListener('open', () => {
    live.textContent = '● Live';
    live.className = 'live';
  });
  es.addEventListener('error', () => {
    live.textContent = '○ Disconnected — reconnecting…';
    live.className = 'live down';
  });
  es.addEventListener('policy', (e) => {
    renderPolicy(JSON.parse((e as MessageEvent<string>).data) as Json);
    void refresh();
  });
  es.addEventListener('refresh', () => void refresh());
}

// ---- wiring --------------------------------------------------------------------------------

function option(value: string, text = value): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function wire(): void {
  const tok = $<HTMLInputElement>('token');
  tok.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  tok.addEventListener('input', () => sessionStorage.setItem(TOKEN_KEY, tok.value));
  tok.addEventListener('change', () => void refresh()); // the journal becomes readable with a token
  $('token-form').addEventListener('submit', (e) => e.preventDefault());
  $('token-forget').addEventListener('click', () => {
    tok.value = '';
    sessionStorage.removeItem(TOKEN_KEY);
  });
  $('reset-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = reasonFrom($<HTMLInputElement>('reset-reason'), 'release the latch');
    if (reason) void act('Reset emergency latch', 'POST', '/policy/reset', { reason });
  });
  $('override-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = reasonFrom($<HTMLInputElement>('override-reason'), 'impose an override');
    const minutes = Number($<HTMLInputElement>('override-minutes').value);
    const policy = $<HTMLSelectElement>('override-policy').value;
    if (reason)
      void act(`Impose override ${policy}`, 'POST', '/policy/override', { policy, duration_sec: Math.round(minutes * 60), reason });
  });
  $('override-lift').addEventListener('click', () => void act('Lift override', 'DELETE', '/policy/override'));
  $('maint-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const reason = reasonFrom($<HTMLInputElement>('maint-reason'), 'start maintenance');
    const subsystem = $<HTMLSelectElement>('maint-subsystem').value;
    const minutes = Number($<HTMLInputElement>('maint-minutes').value);
    const body: Json = { duration_sec: Math.round(minutes * 60), reason };
    if (subsystem) body.subsystem = subsystem;
    if (reason) void act(`Start maintenance of ${subsystem || 'the whole platform'}`, 'POST', '/recovery/maintenance', body);
  });
  $('force-check').addEventListener('click', () => void act('Force check', 'POST', '/health/force-check'));
  $('history-filter').addEventListener('change', renderHistory);
  $('history-filter').addEventListener('submit', (e) => e.preventDefault());
  setInterval(tick, 1000);
}

async function start(): Promise<void> {
  wire();
  const r = await call('GET', '/console/config');
  if (!r.ok) return notice(`Could not read /console/config (HTTP ${r.status}).`, true);
  cfg = r.body as ConsoleCfg;
  const c = cfg;
  $('override-policy').replaceChildren(...c.policies.filter((p) => p !== 'allow_all').map((p) => option(p)));
  $('maint-subsystem').append(...c.subsystems.map((s) => option(s.name)));
  $('filter-subsystem').append(...c.subsystems.map((s) => option(s.name)));
  $('filter-state').append(...STATES.map((s) => option(s)));
  $('token-hint').textContent = c.token_configured ? '' : 'no token configured: only loopback callers may act';
  const links = [grafanaLink('/d/selfheal-overview', 'Grafana: overview'), grafanaLink('/d/selfheal-recovery', 'Grafana: recovery')];
  $('links').replaceChildren(...links.filter((l): l is HTMLElement => l !== null));
  connect();
  await refresh();
}

document.addEventListener('DOMContentLoaded', () => void start());
