// The operator console's script: live over /policy/stream (EventSource), re-reading the state once per
// event — never on a polling loop — and acting through the API with the operator token as a header.
// Everything is built with textContent: nothing from the server is ever parsed as HTML. The API's
// shapes are the server's own declarations, imported as types only: nothing of src/ runs here.
import type { ConsoleState } from '../first_paint';
import type { ConsoleConfigView } from '../routes';
import type { RecordState } from '../../execute/journal';
import type { RecordView } from '../../execute/routes';
import type { RecoveryStatus } from '../../execute/status';
import type { PolicyView } from '../../policy_view';
import type { HealthReport } from '../../types';
import { act, call, enterToken, notice, reasonFrom, setUp, viewToken, type Json, type Reply } from './api.js';
import { $, option, tick } from './dom.js';
import {
  grafanaLink,
  renderApprovals,
  renderHistory,
  renderMaintenance,
  renderPolicy,
  renderStage,
  renderState,
  renderSubsystems,
  setConfig,
} from './render.js';

const TOKEN_KEY = 'selfheal.operator_token';
/** The history filter's states: every record state (the compiler refuses one missing or unknown). */
const STATES = Object.keys({
  recorded: 1,
  pending_approval: 1,
  running: 1,
  verifying: 1,
  succeeded: 1,
  failed: 1,
  rejected: 1,
  expired: 1,
  cancelled: 1,
  dry_run: 1,
  ignored: 1,
  resolved: 1,
} satisfies Record<RecordState, 1>);

let cfg: ConsoleConfigView | null = null;
let actions: RecordView[] = [];

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
  const tok = viewToken();
  const readable = receiver && (!cfg?.token_configured || tok !== '');
  const [policy, report, status, state, pending, hist] = await Promise.all([
    call('GET', '/policy'),
    call('GET', '/report'),
    statusMissing ? Promise.resolve<Reply>({ ok: false, status: 404, body: null }) : call('GET', '/recovery/status'),
    call('GET', '/console/state'),
    readable ? call('GET', '/recovery/pending', undefined, true, tok) : Promise.resolve(null),
    readable ? call('GET', '/recovery/history?limit=200', undefined, true, tok) : Promise.resolve(null),
  ]);
  if (policy.ok) renderPolicy(policy.body as PolicyView);
  if (status.status === 404) statusMissing = true;
  const st = status.ok ? (status.body as RecoveryStatus) : null;
  renderStage(st, status.status !== 404);
  renderMaintenance(st ? st.maintenance : null);
  if (report.ok) renderSubsystems(report.body as HealthReport, st);
  if (state.ok) renderState(state.body as ConsoleState);
  const locked = receiver && !readable ? 'Enter the operator token above to see pending approvals and the history.' : undefined;
  const refused =
    pending && !pending.ok
      ? `Refused (HTTP ${pending.status}): ${String((pending.body as Json | null)?.error ?? 'no reason given')}`
      : undefined;
  renderApprovals(pending?.ok ? (pending.body as RecordView[]) : null, locked ?? refused);
  if (hist?.ok) {
    actions = hist.body as RecordView[];
    renderHistory(actions);
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
    renderPolicy(JSON.parse((e as MessageEvent<string>).data) as PolicyView);
    void refresh();
  });
  es.addEventListener('refresh', () => void refresh());
}

// ---- wiring --------------------------------------------------------------------------------

function wire(): void {
  const tok = $<HTMLInputElement>('token');
  tok.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  enterToken();
  tok.addEventListener('input', () => sessionStorage.setItem(TOKEN_KEY, tok.value));
  tok.addEventListener('change', () => {
    enterToken();
    void refresh(); // the journal becomes readable with a token
  });
  $('token-form').addEventListener('submit', (e) => e.preventDefault());
  $('token-forget').addEventListener('click', () => {
    tok.value = '';
    sessionStorage.removeItem(TOKEN_KEY);
    enterToken();
    void refresh();
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
  $('history-filter').addEventListener('change', () => renderHistory(actions));
  $('history-filter').addEventListener('submit', (e) => e.preventDefault());
  setInterval(tick, 1000);
}

async function start(): Promise<void> {
  wire();
  const r = await call('GET', '/console/config');
  if (!r.ok) return notice(`Could not read /console/config (HTTP ${r.status}).`, true);
  const c = (cfg = r.body as ConsoleConfigView);
  setConfig(c);
  setUp(c.token_header, () => void refresh());
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
