// The operator console at GET /: one HTML page, one script, one stylesheet, all served from memory
// with strict security headers, plus two small read-only JSON views the page needs and the rest of
// the API does not give (the thresholds from the config; the policy state machine's timers).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type express from 'express';
import type { Response } from 'express';
import type { Config } from '../config/types';
import { thresholdsOf } from '../detect/registry';
import { SAFETY_POLICIES } from '../types';
import type { PolicyStateMachine } from '../recommend/policy_state';
import { CONSOLE_CSS, consoleHtml, FAVICON_SVG } from './page';
import type { ConsoleState } from './first_paint';
import type { PolicyView } from '../policy_view';

/** What the console needs from the service (kept narrow so the console does not reach into it). */
export interface ConsoleHost {
  config: Config;
  version: string;
  policy: PolicyStateMachine;
  /** The policy a bot gets now (GET /policy), for the page's first paint. */
  view(): PolicyView;
  /** The last report's overall status; null before the first cycle. */
  overall(): string | null;
  clock(): number;
  /** Whether web-config basic auth guards every request (the browser's Authorization header is then taken). */
  webBasicAuth(): boolean;
}

/** No inline script or style, nothing from another origin, never framed. */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function securityHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
}

/** The compiled browser modules (dist/src/console/web/*.js, beside this file's output), read once, by file name. */
function loadScripts(): Map<string, string> {
  const dir = join(__dirname, 'web');
  const scripts = new Map<string, string>();
  try {
    for (const f of readdirSync(dir)) if (f.endsWith('.js')) scripts.set(f, readFileSync(join(dir, f), 'utf8'));
  } catch {
    /* not built: the stand-in below says so */
  }
  if (!scripts.has('app.js'))
    scripts.set(
      'app.js',
      `document.body.prepend(Object.assign(document.createElement('p'),{textContent:'The console script was not built (${dir}); run npm run build.'}));`,
    );
  return scripts;
}

/** What GET /console/config answers (the page's script reads it as this type). */
export type ConsoleConfigView = ReturnType<typeof consoleConfig>;

/** GET /console/config: the read-only settings the page shows next to live state. */
export function consoleConfig(host: ConsoleHost) {
  const c = host.config;
  return {
    version: host.version,
    grafana_url: c.console.grafana_url,
    // The executor (approvals, history) runs with the webhook or with the local recovery path.
    receiver_enabled: c.receiver.enabled || c.recovery.local,
    token_configured: c.api.token !== null,
    // Behind web basic auth the browser's Authorization header carries the web user; the token goes in X-Selfheal-Token.
    token_header: host.webBasicAuth() ? 'X-Selfheal-Token' : 'Authorization',
    hold_down_sec: c.policy.hold_down_sec,
    policies: SAFETY_POLICIES,
    require_approval: c.recovery.require_approval,
    subsystems: c.subsystems
      .filter((s) => s.enabled)
      .map((s) => ({
        name: s.name,
        criticality: s.criticality,
        dependents: s.dependents,
        check: s.check.type,
        interval_sec: s.criticality === 'yes' ? c.critical_check_interval : c.check_interval,
        thresholds: thresholdsOf(s.check),
      })),
  };
}

/** GET /console/state: the served policy's timers (hold-down, latch, operator override). */
export function consoleState(policy: PolicyStateMachine): ConsoleState {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const hold = policy.holdDown();
  const override = policy.floor('override');
  return {
    policy: policy.policy,
    since: iso(policy.since),
    latched: policy.isLatched,
    hold_down: hold && { target: hold.target, since: iso(hold.since), until: iso(hold.until) },
    override: override && { policy: override.policy, reason: override.reason, until: iso(override.until) },
  };
}

export function mountConsole(app: express.Express, host: ConsoleHost): void {
  const scripts = loadScripts();
  const page = (type: string, body: string) => (_req: unknown, res: Response) => {
    securityHeaders(res);
    res.type(type).send(body);
  };
  // Rendered per request: the first paint shows the policy served now (a screenshot without the script shows it too).
  app.get('/', (_req, res) => {
    securityHeaders(res);
    res.set('Cache-Control', 'no-store');
    const first = { view: host.view(), overall: host.overall(), state: consoleState(host.policy), now: host.clock() };
    res.type('text/html; charset=utf-8').send(consoleHtml(host.version, first));
  });
  const script = (name: string) => page('text/javascript; charset=utf-8', scripts.get(name) ?? '');
  app.get('/console/app.js', script('app.js'));
  app.get('/console/app.css', page('text/css; charset=utf-8', CONSOLE_CSS));
  app.get('/console/favicon.svg', page('image/svg+xml', FAVICON_SVG));
  app.get('/console/config', (_req, res) => {
    securityHeaders(res);
    res.json(consoleConfig(host));
  });
  app.get('/console/state', (_req, res) => {
    securityHeaders(res);
    res.set('Cache-Control', 'no-store').json(consoleState(host.policy));
  });
  // The modules app.js imports (each other only: the server's types are erased at build).
  app.get('/console/:module', (req, res, next) => (scripts.has(req.params.module) ? script(req.params.module)(req, res) : next()));
}
