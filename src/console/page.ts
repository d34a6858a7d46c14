// The console's page and stylesheet. The server renders the first paint (the served policy, its
// reasons and timers, the overall status: first_paint.ts); the script then fills and updates every
// [id] below from the API. Everything rendered from data is escaped.
import { esc, firstPaint, type FirstPaint } from './first_paint';

/** An element the first paint may fill (its data-testid is its id), as HTML. */
type Fill = (tag: string, id: string, attrs: string, html: string) => string;

/** The page; with `first`, the policy card and the overall status are filled in as the script would fill them. */
export function consoleHtml(version: string, first: FirstPaint | null = null): string {
  const fp = first ? firstPaint(first) : {};
  /** The first paint's attributes and content for an element, else the shell's. */
  const el: Fill = (tag, id, attrs, html) =>
    `<${tag} ${[`id="${id}"`, fp[id]?.attrs ?? attrs, `data-testid="${id}"`].filter(Boolean).join(' ')}>${fp[id]?.html ?? html}</${tag}>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>selfheal console</title>
<link rel="icon" href="/console/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/app.css">
<script type="module" src="/console/app.js"></script>
</head><body>
${header(version, el)}
<p id="notice" class="notice" role="status" aria-live="polite" data-testid="notice" hidden></p>
<main>
${policyCard(el)}
${actCard(first)}
${TABLES}
</main>
<footer><a href="/metrics">/metrics</a> · <a href="/policy">/policy</a> · <a href="/report">/report</a> ·
<a href="/health/system">/health/system</a> · <a href="/recovery/history">/recovery/history</a> · <a href="/recovery/pending">/recovery/pending</a></footer>
</body></html>
`;
}

function header(version: string, el: Fill): string {
  return `<header>
  <h1>selfheal <small>${esc(version)}</small></h1>
  <p class="overall">Overall: ${el('span', 'overall', 'class="badge"', 'loading…')}</p>
  <p id="live" class="live" role="status" data-testid="live">connecting…</p>
  <form id="token-form" class="token" autocomplete="off">
    <label for="token">Operator token</label>
    <input id="token" type="password" autocomplete="off" spellcheck="false">
    <button type="button" id="token-forget">Forget</button>
    <span id="token-hint" class="muted"></span>
  </form>
</header>`;
}

function policyCard(el: Fill): string {
  return `<section aria-labelledby="h-policy" class="card policy-card">
  <h2 id="h-policy">Served policy</h2>
  <p class="policy-line">${el('span', 'policy', 'class="policy"', '…')}
    ${el('span', 'trading', 'class="muted"', '')}</p>
  ${el('p', 'manual', 'class="alert" hidden', 'Manual intervention required')}
  <dl class="facts">
    <dt>Valid until</dt>${el('dd', 'valid-until', '', '–')}
    <dt>Stage</dt><dd id="stage" data-testid="stage">–</dd>
    <dt>Hold-down</dt>${el('dd', 'hold-down', '', '–')}
    <dt>Latch</dt>${el('dd', 'latch', '', '–')}
    <dt>Override</dt>${el('dd', 'override', '', 'none')}
    <dt>Directives</dt>${el('dd', 'directives', '', '–')}
  </dl>
  <h3>Reasons</h3>
  ${el('ul', 'reasons', '', '')}
</section>`;
}

function actCard(first: FirstPaint | null): string {
  const latched = first?.state.latched === true;
  const overridden = first !== null && first.state.override !== null;
  return `<section aria-labelledby="h-act" class="card act-card">
  <h2 id="h-act">Act</h2>
  <form id="reset-form" class="row"${latched ? '' : ' hidden'}>
    <label for="reset-reason">Reason for releasing the emergency latch</label>
    <input id="reset-reason" aria-required="true" maxlength="500">
    <button type="submit">Reset latch</button>
  </form>
  <form id="override-form" class="row">
    <label for="override-policy">Override policy</label>
    <select id="override-policy"></select>
    <label for="override-minutes">for minutes</label>
    <input id="override-minutes" type="number" min="1" max="10080" value="30">
    <label for="override-reason">Override reason</label>
    <input id="override-reason" aria-required="true" maxlength="500">
    <button type="submit">Impose override</button>
    <button type="button" id="override-lift"${first && !overridden ? ' disabled' : ''}>Lift override</button>
  </form>
  <form id="maint-form" class="row">
    <label for="maint-subsystem">Maintenance of</label>
    <select id="maint-subsystem"><option value="">the whole platform</option></select>
    <label for="maint-minutes">for minutes</label>
    <input id="maint-minutes" type="number" min="1" max="10080" value="30">
    <label for="maint-reason">Maintenance reason</label>
    <input id="maint-reason" aria-required="true" maxlength="500">
    <button type="submit">Start maintenance</button>
  </form>
  <ul id="maint-list" data-testid="maintenance"></ul>
  <p class="row"><button type="button" id="force-check">Force check now</button>
    <span id="links" class="links"></span></p>
</section>`;
}

/** Approvals, subsystems and history: filled by the script only. */
const TABLES = `<section aria-labelledby="h-approvals" class="card wide">
  <h2 id="h-approvals">Pending approvals <span id="approvals-count" class="count"></span></h2>
  <ul id="approvals" class="approvals" data-testid="approvals"></ul>
</section>
<section aria-labelledby="h-subsystems" class="card wide">
  <h2 id="h-subsystems">Subsystems</h2>
  <div class="scroll"><table id="subsystems">
    <thead><tr><th scope="col">Subsystem</th><th scope="col">Status</th><th scope="col">Stage</th><th scope="col">Evidence age / thresholds</th>
    <th scope="col">Last check</th><th scope="col">Consecutive errors</th><th scope="col">Criticality</th><th scope="col">Dependents</th><th scope="col">Recommended action</th></tr></thead>
    <tbody></tbody>
  </table></div>
</section>
<section aria-labelledby="h-history" class="card wide">
  <h2 id="h-history">Recovery history</h2>
  <form id="history-filter" class="row">
    <label for="filter-subsystem">Subsystem</label>
    <select id="filter-subsystem"><option value="">all</option></select>
    <label for="filter-state">State</label>
    <select id="filter-state"><option value="">all</option></select>
  </form>
  <div class="scroll"><table id="history">
    <thead><tr><th scope="col">Created</th><th scope="col">Subsystem</th><th scope="col">Action</th><th scope="col">State</th><th scope="col">Outcome</th>
    <th scope="col">Verify / detail</th><th scope="col">Took</th><th scope="col">Alert</th><th scope="col">Why</th></tr></thead>
    <tbody></tbody>
  </table></div>
</section>`;

export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e7d32"/></svg>';

/** Status colours always come with the status word (colour is never the only carrier). */
export const CONSOLE_CSS = `
:root{--fg:#1b1b1b;--muted:#555;--bg:#f6f7f9;--card:#fff;--line:#d8dbe0;--ok:#1e6b22;--warn:#8a5a00;--crit:#b3400a;--fail:#a11212;--unk:#555;--focus:#0b57d0}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;background:#1f2933;color:#fff}
header h1{font-size:1.2rem;margin:0}header small{font-weight:normal;opacity:.8}
header p{margin:0}.overall .badge{margin-left:.25rem}
.live{font-size:.9rem}.live.down{color:#ffb4a8;font-weight:bold}
.token{display:flex;gap:.4rem;align-items:center;margin-left:auto;flex-wrap:wrap}
.token input{width:14rem}.token .muted{color:#cfd6de}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;padding:1rem;max-width:1500px;margin:0 auto}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;min-width:0}
.wide{grid-column:1/-1}
h2{font-size:1.05rem;margin:0 0 .5rem}h3{font-size:.95rem;margin:.6rem 0 .2rem}
.policy-line{margin:.2rem 0 .6rem}
.policy{font-size:1.5rem;font-weight:bold;font-family:ui-monospace,monospace;padding:.1rem .5rem;border-radius:4px;border:2px solid currentColor}
.p-allow_all{color:var(--ok)}.p-safe_risk_profile{color:var(--warn)}.p-no_new_trades{color:var(--crit)}.p-defensive_exit,.p-emergency_shutdown{color:var(--fail)}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem .8rem;margin:0}.facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .45rem;border-radius:3px;font-weight:bold;color:#fff;background:var(--unk);white-space:nowrap}
.s-healthy{background:var(--ok)}.s-degraded{background:var(--warn)}.s-critical{background:var(--crit)}.s-failed{background:var(--fail)}.s-unknown{background:var(--unk)}
.badge.s-healthy::before{content:"✓ "}.badge.s-degraded::before{content:"! "}.badge.s-critical::before,.badge.s-failed::before{content:"✗ "}
.alert{background:#fde8e4;border-left:4px solid var(--fail);padding:.3rem .6rem;font-weight:bold}
.notice{margin:.6rem 1rem 0;padding:.45rem .8rem;border-radius:4px;border-left:4px solid var(--ok);background:#e7f3e8}
.notice.error{border-left-color:var(--fail);background:#fde8e4}
.row{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.3rem 0 .6rem}
.row label{color:var(--muted)}
input,select,button{font:inherit;padding:.25rem .45rem;border:1px solid #8a939e;border-radius:4px;background:#fff;color:var(--fg)}
button{cursor:pointer;background:#eef1f5}button:hover{background:#e0e5eb}
button.approve{border-color:var(--ok)}button.reject{border-color:var(--fail)}
:focus-visible{outline:3px solid var(--focus);outline-offset:1px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:#eef1f5}
td .limits,td.num{white-space:nowrap}
.gf{display:block;font-size:.8rem;font-weight:normal}
#history td:nth-child(8){overflow-wrap:anywhere;min-width:15rem}#history td:first-child{white-space:nowrap}
details summary{cursor:pointer}
.ladder{display:flex;flex-wrap:wrap;gap:0 .6rem;list-style:none;padding:0;margin:0}.ladder li{white-space:nowrap;color:var(--muted)}.ladder li.current{color:var(--fg);font-weight:bold}
tr[data-status="degraded"] td:first-child{border-left:4px solid var(--warn)}
tr[data-status="critical"] td:first-child,tr[data-status="failed"] td:first-child{border-left:4px solid var(--fail)}
.scroll{overflow-x:auto}
.muted{color:var(--muted)}.count{color:var(--muted);font-weight:normal}
.approvals{list-style:none;padding:0;margin:0}
.approvals li{border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:4px;padding:.5rem .7rem;margin:.4rem 0}
.approvals .row{margin:.4rem 0 0}.approvals input{flex:1 1 14rem}
.field-error{color:var(--fail);font-weight:bold}
.links a{margin-right:.6rem}
footer{padding:.5rem 1rem 1.5rem;color:var(--muted);font-size:.85rem}
@media (max-width:800px){main{grid-template-columns:minmax(0,1fr);padding:.5rem}.token{margin-left:0}.token input{width:10rem}}
`;
