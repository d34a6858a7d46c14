// The operator console at GET /, driven in real headless Chromium against a real service on loopback.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { ConsolePage } from '../helpers/browser';
import { CONSOLE_TOKEN, liveService, trackedConsole } from '../helpers/console';
import { configIn } from '../helpers/config';
import { tempDir, writeAged } from '../helpers/fs';
import { delivery, postHook } from '../helpers/receiver';
import { getJson } from '../helpers/service';
import { thresholdsOf } from '../../src/detect/registry';
import type { CheckSpec } from '../../src/config/types';
import { parseWebConfig } from '../../src/http/web_config';
import bcrypt from 'bcryptjs';

const TOKEN = CONSOLE_TOKEN;
const auth = { authorization: `Bearer ${TOKEN}` };
const live = liveService;
const open = trackedConsole();

const policyIs = (c: ConsolePage, policy: string, timeout = 10_000) =>
  c.page.waitForSelector(`[data-testid="policy"]:text-is("${policy}")`, { timeout });

async function pendingActions(url: string) {
  const r = await fetch(`${url}/recovery/pending`, { headers: auth });
  return (await r.json()) as { id: string; action: string; fingerprint: string; state: string }[];
}

/** Two actions in recovery.require_approval (the defaults): they wait for an operator. */
async function twoPending(url: string) {
  const res = await postHook(
    url,
    delivery([
      { labels: { subsystem: 'event_executor', action: 'defensive_exit', severity: 'critical' }, fingerprint: 'd1' },
      { labels: { subsystem: 'event_executor', action: 'close_all_positions', severity: 'critical' }, fingerprint: 'd2' },
    ]),
  );
  assert.equal(res.status, 200);
  for (let i = 0; i < 100 && (await pendingActions(url)).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  const pending = await pendingActions(url);
  return Object.fromEntries(pending.map((p) => [p.fingerprint, p.id])) as Record<'d1' | 'd2', string>;
}

describe('console: served safely', () => {
  it('page, script, stylesheet: content types and security headers', async () => {
    const { url } = await live();
    const cases: [string, RegExp][] = [
      ['/', /^text\/html; charset=utf-8$/],
      ['/console/app.js', /^text\/javascript; charset=utf-8$/],
      ['/console/app.css', /^text\/css; charset=utf-8$/],
      ['/console/config', /^application\/json/],
      ['/console/state', /^application\/json/],
    ];
    let total = 0;
    for (const [path, type] of cases) {
      const res = await fetch(url + path);
      const body = await res.arrayBuffer();
      total += body.byteLength;
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', type, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
    }
    assert.match(
      await (await fetch(url + '/console/app.js')).text(),
      /new EventSource\('\/policy\/stream'\)/,
      'the built script, not the "run npm run build" stand-in',
    );
    const html = await (await fetch(url + '/')).text();
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]|style=|\son[a-z]+=/i, 'no inline script, style or handler');
    assert.ok(total < 60_000, `the console is small (${total} bytes)`);
  });

  it("the script's modules import only each other: the server's types are erased, nothing of src/ runs in the page", async () => {
    const { url } = await live();
    const seen = new Map<string, number>();
    const queue = ['app.js'];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (seen.has(name)) continue;
      const res = await fetch(`${url}/console/${name}`);
      assert.equal(res.status, 200, name);
      assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/, name);
      const text = await res.text();
      seen.set(name, text.length);
      const specs = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'/gm), ...text.matchAll(/\bimport\s*\(\s*'([^']+)'/g)];
      for (const [, spec] of specs) {
        assert.match(spec, /^\.\/[a-z_]+\.js$/, `${name} imports ${spec}: only its sibling modules`);
        queue.push(spec.slice(2));
      }
    }
    assert.ok(seen.size >= 2, `app.js imports its modules (${[...seen.keys()].join(', ')})`);
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.ok(total < 60_000, `the script is small (${total} bytes)`);
  });

  it('GET /console/config: thresholds, criticality and dependents from the config', async () => {
    const { url } = await live({ console: { grafana_url: 'http://grafana.example:3000/' } });
    const { body } = await getJson(`${url}/console/config`);
    assert.equal(body.grafana_url, 'http://grafana.example:3000');
    const subs = body.subsystems as { name: string; criticality: string; dependents: string[]; thresholds: Record<string, number> }[];
    const feed = subs.find((s) => s.name === 'data_feed')!;
    assert.equal(feed.criticality, 'yes');
    assert.ok(feed.dependents.includes('event_executor'));
    assert.equal(typeof feed.thresholds.critical_after_sec, 'number');
  });
});

describe('console: live', () => {
  it('a fault shows on its subsystem row and in the policy within 2 s, without a reload', async (t: TestContext) => {
    const { url, data } = await live();
    const c = await open(url);
    await policyIs(c, 'allow_all');
    await c.page.waitForSelector('tr[data-subsystem="data_feed"][data-status="healthy"]');
    await c.page.evaluate('window.marker = 42');
    const started = Date.now();
    writeAged(join(data, 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT'] }), 100_000);
    await c.page.waitForSelector('tr[data-subsystem="data_feed"][data-status="critical"]', { timeout: 2000 });
    await policyIs(c, 'defensive_exit', Math.max(1, 2000 - (Date.now() - started)));
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 2000, `updated after ${elapsed} ms`);
    t.diagnostic(`the page showed the fault ${elapsed} ms after it happened`);
    assert.equal(await c.page.evaluate('window.marker'), 42, 'the page was not reloaded');
    const row = c.page.locator('tr[data-subsystem="data_feed"]');
    assert.match(await row.innerText(), /critical/, 'the status is written, not only coloured');
    assert.match(await c.page.locator('[data-testid="reasons"]').innerText(), /data_feed critical/);
    assert.match(await c.page.locator('[data-testid="overall"]').innerText(), /critical/);
  });

  it('shows evidence against thresholds, criticality, dependents, the recommended action, Grafana links', async () => {
    const { url, data } = await live({ console: { grafana_url: 'http://grafana.example:3000' } });
    writeAged(join(data, 'orchestrator_state.json'), '{}', 100_000);
    const c = await open(url);
    const row = c.page.locator('tr[data-subsystem="orchestrator"][data-status="critical"]');
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /critical ≥ \d+ s/, 'threshold shown next to the age');
    assert.match(text, /restart_subsystem/, 'recommended action');
    const feed = await c.page.locator('tr[data-subsystem="data_feed"]').innerText();
    assert.match(feed, /trading-critical/);
    assert.match(feed, /event_executor/, 'dependents');
    assert.match(feed, /\d+(\.\d+)? ms/, 'last check duration');
    const link = c.page.getByRole('link', { name: 'Grafana dashboard of data_feed' });
    assert.equal(await link.getAttribute('href'), 'http://grafana.example:3000/d/selfheal-subsystem?var-subsystem=data_feed');
    assert.equal(
      await c.page.getByRole('link', { name: 'Grafana: overview' }).getAttribute('href'),
      'http://grafana.example:3000/d/selfheal-overview',
    );
  });

  it('is readable on a phone: nothing wider than the screen but the tables, which scroll', async () => {
    const { url } = await live();
    const c = await open(url, { width: 390, height: 844 });
    const overflow = (await c.page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `page overflows the phone by ${overflow}px`);
    assert.ok(await c.page.getByLabel('Operator token').isVisible());
  });
});

describe('console: act', () => {
  it('approve and reject from the page need the token; refused without it, and says why', async () => {
    const { url } = await live();
    const ids = await twoPending(url);
    const c = await open(url, { expectStatuses: [401] });
    const d1 = c.page.locator(`[data-approval-id="${ids.d1}"]`);
    const d2 = c.page.locator(`[data-approval-id="${ids.d2}"]`);
    const approvals = c.page.locator('#approvals');
    const tokenField = c.page.getByLabel('Operator token');
    /** Types a token and leaves the field (its change re-reads the state), as a person would. */
    const useToken = async (t: string) => {
      await tokenField.fill(t);
      await tokenField.dispatchEvent('change');
    };

    // The journal is the operator's: without a token the page says how to see it.
    await approvals.getByText('Enter the operator token above to see pending approvals and the history.').waitFor();
    await useToken(TOKEN);
    await d1.waitFor();
    await d2.waitFor();

    // No reason: asked for in the page, nothing sent.
    await d1.getByRole('button', { name: 'Approve', exact: true }).click();
    await d1.getByText('A reason is required to approve.').waitFor();
    assert.equal((await pendingActions(url)).length, 2);

    // No token: the server refuses, the page says so and why.
    await d1.getByLabel('Reason').fill('desk agrees');
    await tokenField.fill('');
    await d1.getByRole('button', { name: 'Approve', exact: true }).click();
    const notice = c.page.locator('[data-testid="notice"]');
    await notice.getByText(/refused \(HTTP 401\): missing Authorization header/).waitFor();
    assert.equal((await pendingActions(url)).length, 2, 'nothing was approved');

    // A wrong token is refused too, for reading the approvals as for approving.
    await useToken('wrong');
    await approvals.getByText(/Refused \(HTTP 401\): invalid credentials/).waitFor();

    await useToken(TOKEN);
    await d1.waitFor();
    await d2.waitFor();
    await d1.getByLabel('Reason').fill('desk agrees');
    await d1.getByRole('button', { name: 'Approve', exact: true }).click();
    await notice.getByText(/Approve defensive_exit on event_executor: done/).waitFor();
    // By keyboard alone: the reason field, then Tab past Approve to Reject, then Enter.
    await d2.getByLabel('Reason').focus();
    await c.page.keyboard.type('desk says no');
    await c.page.keyboard.press('Tab');
    await c.page.keyboard.press('Tab');
    assert.equal(await c.page.evaluate('document.activeElement.textContent'), 'Reject');
    await c.page.keyboard.press('Enter');
    await notice.getByText(/Reject close_all_positions on event_executor: done/).waitFor();
    await d1.waitFor({ state: 'detached' });
    await d2.waitFor({ state: 'detached' });

    const history = (await (await fetch(`${url}/recovery/history`, { headers: auth })).json()) as {
      id: string;
      state: string;
      reason: string;
    }[];
    const byId = new Map(history.map((r) => [r.id, r]));
    assert.notEqual(byId.get(ids.d1)!.state, 'pending_approval');
    assert.match(byId.get(ids.d1)!.reason, /approved: desk agrees/);
    assert.equal(byId.get(ids.d2)!.state, 'rejected');
    assert.match(byId.get(ids.d2)!.reason, /rejected: desk says no/);
    // The token lives in the tab's session storage only: no cookie, never in a URL.
    assert.equal(await c.page.evaluate("sessionStorage.getItem('selfheal.operator_token')"), TOKEN);
    assert.deepEqual(await c.page.context().cookies(), []);
    assert.deepEqual(
      c.urls.filter((u) => u.includes(TOKEN)),
      [],
      'the token is never in a URL',
    );
    // History shows them, filterable by state.
    await c.page.getByLabel('State').selectOption('rejected');
    await c.page.locator(`#history tr[data-action-id="${ids.d2}"]`).waitFor();
    assert.equal(await c.page.locator(`#history tr[data-action-id="${ids.d1}"]`).count(), 0);
  });

  it('impose and lift an override', async () => {
    const { url } = await live();
    const c = await open(url);
    await policyIs(c, 'allow_all');
    await c.page.getByLabel('Operator token').fill(TOKEN);
    await c.page.getByLabel('Override policy').selectOption('no_new_trades');
    await c.page.getByLabel('Override reason').fill('exchange maintenance');
    await c.page.getByRole('button', { name: 'Impose override' }).click();
    await policyIs(c, 'no_new_trades', 5000);
    await c.page
      .locator('[data-testid="override"]')
      .getByText(/no_new_trades — override by operator: exchange maintenance — ends in/)
      .waitFor();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'no_new_trades');
    await c.page.getByRole('button', { name: 'Lift override' }).click();
    await policyIs(c, 'allow_all', 5000);
    await c.page.locator('[data-testid="override"]').getByText('none', { exact: true }).waitFor();
  });

  it('a latched emergency_shutdown is released from the page with a reason', async () => {
    const { url } = await live();
    const c = await open(url);
    await policyIs(c, 'allow_all');
    await c.page.getByLabel('Operator token').fill(TOKEN);
    await c.page.getByLabel('Override policy').selectOption('emergency_shutdown');
    await c.page.getByLabel('Override reason').fill('drill');
    await c.page.getByRole('button', { name: 'Impose override' }).click();
    await policyIs(c, 'emergency_shutdown', 5000);
    await c.page.getByRole('button', { name: 'Lift override' }).click();
    await c.page
      .locator('[data-testid="latch"]')
      .getByText(/LATCHED/)
      .waitFor();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'emergency_shutdown', 'the latch holds after the override is lifted');
    await c.page.locator('[data-testid="manual"]').getByText('Manual intervention required').waitFor();
    assert.match(await c.page.locator('[data-testid="directives"]').innerText(), /close positions: all/);
    const reset = c.page.getByRole('button', { name: 'Reset latch' });
    await reset.click();
    await c.page.getByText('A reason is required to release the latch.').waitFor();
    assert.equal((await getJson(`${url}/policy`)).body.policy, 'emergency_shutdown');
    await c.page.getByLabel('Reason for releasing the emergency latch').fill('drill over');
    await reset.click();
    await policyIs(c, 'allow_all', 5000);
    await c.page.locator('[data-testid="latch"]').getByText('not latched').waitFor();
    await reset.waitFor({ state: 'hidden' });
    await c.page.locator('[data-testid="manual"]').waitFor({ state: 'hidden' });
  });

  it('behind web-config basic auth the token travels in X-Selfheal-Token (Authorization is the web login)', async () => {
    const hash = bcrypt.hashSync('s3cret', 4);
    const { url } = await live({}, parseWebConfig({ basic_auth_users: { alice: hash } }, '/'));
    const c = await open(url, { basicAuth: { username: 'alice', password: 's3cret' } });
    await policyIs(c, 'allow_all');
    await c.page.getByLabel('Operator token').fill(TOKEN);
    await c.page.getByLabel('Override reason').fill('web login and token');
    await c.page.getByRole('button', { name: 'Impose override' }).click();
    await policyIs(c, 'safe_risk_profile', 5000);
  });

  it('force-check runs a cycle from the page', async () => {
    const { url, svc } = await live();
    const c = await open(url);
    const before = svc.monitor.cycles;
    await c.page.getByLabel('Operator token').fill(TOKEN);
    await c.page.getByRole('button', { name: 'Force check now' }).click();
    await c.page.locator('[data-testid="notice"]').getByText('Force check: done.').waitFor();
    assert.ok(svc.monitor.cycles > before);
  });

  // Needs the lead's /recovery/maintenance and /recovery/status (issue 11): skipped only while they answer 404.
  it('maintenance start and stop, and the ladder stage (after the issue-11 merge)', async (t: TestContext) => {
    const { url } = await live();
    if ((await fetch(`${url}/recovery/maintenance`)).status === 404) return void t.skip('GET /recovery/maintenance not on this branch yet');
    const c = await open(url);
    await c.page.locator('[data-testid="stage"] [data-stage]').waitFor();
    await c.page.getByLabel('Operator token').fill(TOKEN);
    await c.page.getByLabel('Maintenance of').selectOption('data_feed');
    await c.page.getByLabel('Maintenance reason').fill('feed vendor upgrade');
    await c.page.getByRole('button', { name: 'Start maintenance' }).click();
    const item = c.page.locator('[data-maintenance="data_feed"]');
    await item.waitFor({ timeout: 5000 });
    assert.match(await item.innerText(), /feed vendor upgrade/);
    await item.getByRole('button', { name: 'Stop maintenance of data_feed' }).click();
    await item.waitFor({ state: 'detached', timeout: 5000 });
  });
});

describe('console: config', () => {
  it('console.grafana_url must be an http(s) URL; the error names the key', () => {
    const root = tempDir();
    assert.throws(() => configIn(root, { console: { grafana_url: 'grafana:3000' } }), /console\.grafana_url: expected an http\(s\) URL/);
    assert.throws(() => configIn(root, { console: { grafna_url: 'http://g' } }), /console\.grafna_url/);
    assert.equal(configIn(root).console.grafana_url, null);
  });
});

describe('console: thresholds by check kind', () => {
  const cases: [string, CheckSpec, Record<string, number>][] = [
    [
      'file_freshness',
      {
        type: 'file_freshness',
        path: '/x',
        degraded_after_sec: 10,
        critical_after_sec: 30,
        missing_status: 'critical',
        empty_status: 'critical',
        max_evidence_bytes: 1024,
      },
      { degraded_after_sec: 10, critical_after_sec: 30 },
    ],
    [
      'json_timestamp',
      { type: 'json_timestamp', path: '/x', field: 'ts', degraded_after_sec: 5, critical_after_sec: 15, missing_status: 'unknown' },
      { degraded_after_sec: 5, critical_after_sec: 15 },
    ],
    [
      'newest_file',
      { type: 'newest_file', dir: '/x', pattern: '*.log', degraded_after_sec: 60, critical_after_sec: 600, missing_status: 'degraded' },
      { degraded_after_sec: 60, critical_after_sec: 600 },
    ],
    [
      'file_set',
      { type: 'file_set', dir: '/x', files: ['a', 'b', 'c', 'd'], healthy_min: 3, degraded_min: 2 },
      { healthy_min: 3, degraded_min: 2, expected: 4 },
    ],
    ['file_presence', { type: 'file_presence', path: '/x', missing_status: 'critical' }, {}],
    [
      'http',
      { type: 'http', url: 'http://x', method: 'GET', expect_status: [200], degraded_latency_ms: 500, down_status: 'critical' },
      { degraded_latency_ms: 500 },
    ],
    ['tcp', { type: 'tcp', host: 'x', port: 1, degraded_latency_ms: 250, down_status: 'critical' }, { degraded_latency_ms: 250 }],
  ];
  for (const [name, spec, want] of cases) it(name, () => assert.deepEqual(thresholdsOf(spec), want));
});
