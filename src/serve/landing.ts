import type { ServedReport } from './monitor';

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const COLORS: Record<string, string> = { healthy: '#2e7d32', degraded: '#f9a825', critical: '#e65100', failed: '#b71c1c', unknown: '#616161' };

export function landingPage(version: string, report: ServedReport | null): string {
  const rows = report
    ? Object.values(report.subsystem_health)
        .map((h) => {
          const why = h.details.error ?? h.details.warning ?? '';
          return `<tr><td>${esc(h.subsystem)}</td><td style="color:${COLORS[h.status]}">${esc(h.status)}</td><td>${esc(why)}</td></tr>`;
        })
        .join('\n')
    : '<tr><td colspan="3">first check cycle still running</td></tr>';
  const overall = report?.overall_status ?? 'unknown';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>selfheal</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 12px;text-align:left}</style></head>
<body><h1>selfheal ${esc(version)}</h1>
<p>Overall status: <b style="color:${COLORS[overall]}">${esc(overall)}</b> &middot;
Safety policy: <b>${esc(report?.current_safety_policy ?? 'no_new_trades')}</b> &middot;
Trading allowed: <b>${esc(report?.trading_should_continue ?? false)}</b></p>
<table><tr><th>Subsystem</th><th>Status</th><th>Detail</th></tr>
${rows}
</table>
<p><a href="/metrics">/metrics</a> &middot; <a href="/policy">/policy</a> &middot; <a href="/health/system">/health/system</a> &middot;
<a href="/report">/report</a> &middot; <a href="/recovery/history">/recovery/history</a> &middot; <a href="/recovery/pending">/recovery/pending</a></p>
</body></html>
`;
}
