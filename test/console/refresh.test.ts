// The console refreshes every second (one re-read per stream event); a control an operator is using
// must stay the same element across refreshes, or a click lands on a node that was just replaced
// ("element was detached"). Real headless Chromium against a real service on loopback: elements are
// marked with a property in the page, and the mark must survive refreshes, inserts, removals and patches.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ConsolePage } from '../helpers/browser';
import { CONSOLE_TOKEN, liveService, trackedConsole } from '../helpers/console';
import { writeAged } from '../helpers/fs';
import { delivery, postHook } from '../helpers/receiver';

const TOKEN = CONSOLE_TOKEN;
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const live = () => liveService({ console: { grafana_url: 'http://grafana.example:3000' } });
const open = trackedConsole();

/** The console with the operator token entered (the journal is readable). */
async function openWithToken(url: string, expectStatuses: number[] = []): Promise<ConsolePage> {
  const c = await open(url, { expectStatuses });
  const tokenField = c.page.getByLabel('Operator token');
  await tokenField.fill(TOKEN);
  await tokenField.dispatchEvent('change');
  return c;
}

/** Waits until the page has finished `n` more full re-reads (a re-read renders before the next one starts). */
async function refreshes(page: Page, n: number): Promise<void> {
  for (let i = 0; i <= n; i++) await page.waitForResponse((r) => r.url().endsWith('/recovery/history?limit=200'), { timeout: 20_000 });
}

/** Marks the element at `selector` with a property only that node carries; `marked` says whether it still is the node there. */
const mark = (page: Page, selector: string) =>
  page.$eval(selector, (el) => {
    (el as unknown as { __kept: boolean }).__kept = true;
  });
const marked = (page: Page, selector: string) => page.$eval(selector, (el) => (el as unknown as { __kept?: boolean }).__kept === true);

async function alert(url: string, fingerprint: string, action = 'close_all_positions') {
  const res = await postHook(url, delivery([{ labels: { subsystem: 'event_executor', action, severity: 'critical' }, fingerprint }]));
  assert.equal(res.status, 200);
}

async function pendingId(url: string, fingerprint: string): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const pending = (await (await fetch(`${url}/recovery/pending`, { headers: auth })).json()) as { id: string; fingerprint: string }[];
    const hit = pending.find((p) => p.fingerprint === fingerprint);
    if (hit) return hit.id;
  }
  throw new Error(`no pending action for ${fingerprint}`);
}

describe('console: a refresh keeps the elements an operator uses', () => {
  it('a pending approval keeps its row and buttons across refreshes, inserts and removals around it', async () => {
    const { url } = await live();
    await alert(url, 'k1');
    await alert(url, 'k2', 'defensive_exit');
    const [k1, k2] = [await pendingId(url, 'k1'), await pendingId(url, 'k2')];
    const c = await openWithToken(url);
    const approve = `[data-approval-id="${k1}"] button.approve`;
    await c.page.waitForSelector(approve);
    await mark(c.page, approve);
    await mark(c.page, `[data-approval-id="${k1}"]`);
    await refreshes(c.page, 3);
    assert.ok(await marked(c.page, approve), 'the same Approve button after three refreshes');

    // A new approval arrives and another goes: the rows around k1 change, k1's nodes stay.
    await alert(url, 'k3');
    const k3 = await pendingId(url, 'k3');
    const rejected = await fetch(`${url}/recovery/${k2}/reject`, { method: 'POST', headers: auth, body: JSON.stringify({ reason: 'no' }) });
    assert.equal(rejected.status, 200);
    await c.page.waitForSelector(`[data-approval-id="${k3}"]`, { timeout: 10_000 });
    await c.page.waitForSelector(`[data-approval-id="${k2}"]`, { state: 'detached', timeout: 10_000 });
    assert.ok(await marked(c.page, approve), 'k1 keeps its Approve button');
    assert.ok(await marked(c.page, `[data-approval-id="${k1}"]`), 'and its row');
    assert.match(await c.page.locator(`[data-approval-id="${k1}"]`).innerText(), /waiting for approval \(expires \d\d:\d\d:\d\d UTC\)/);
  });

  it('a history row is patched in place: its state changes to plain words, its node stays', async () => {
    const { url } = await live();
    await alert(url, 'h1');
    const id = await pendingId(url, 'h1');
    const c = await openWithToken(url);
    const row = `#history tr[data-action-id="${id}"]`;
    await c.page.waitForSelector(`${row}[data-state="pending_approval"]`);
    assert.match(await c.page.locator(row).innerText(), /waiting for approval/);
    await mark(c.page, row);
    const res = await fetch(`${url}/recovery/${id}/reject`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ reason: 'desk says no' }),
    });
    assert.equal(res.status, 200);
    await c.page.waitForSelector(`${row}[data-state="rejected"]`, { timeout: 10_000 });
    assert.match(await c.page.locator(row).innerText(), /done: rejected by an operator/);
    assert.ok(await marked(c.page, row), 'the same row, patched');
  });

  it('subsystem rows keep their nodes (and an opened fold) while their status changes', async () => {
    const { url, data } = await live();
    const c = await openWithToken(url);
    const feed = 'tr[data-subsystem="data_feed"]';
    await c.page.waitForSelector(`${feed}[data-status="healthy"]`);
    await mark(c.page, feed);
    await mark(c.page, `${feed} a.gf`);
    const db = 'tr[data-subsystem="database"]';
    await c.page.locator(`${db} details summary`).click();
    writeAged(join(data, 'universe_snapshot.json'), JSON.stringify({ symbols: ['BTCUSDT'] }), 100_000);
    await c.page.waitForSelector(`${feed}[data-status="critical"]`, { timeout: 10_000 });
    await refreshes(c.page, 2);
    assert.ok(await marked(c.page, feed), 'the same row');
    assert.ok(await marked(c.page, `${feed} a.gf`), 'the same Grafana link');
    assert.equal(
      await c.page.$eval(`${db} details`, (d) => (d as unknown as { open: boolean }).open),
      true,
      'a fold opened by hand stays open',
    );
  });

  it('clicks land while the page re-reads as fast as it can: approve, reject by keyboard, stop maintenance', async () => {
    const { url } = await live();
    await alert(url, 'c1');
    await alert(url, 'c2', 'defensive_exit');
    const [c1, c2] = [await pendingId(url, 'c1'), await pendingId(url, 'c2')];
    const started = await fetch(`${url}/recovery/maintenance`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ subsystem: 'data_feed', duration_sec: 600, reason: 'feed vendor upgrade' }),
    });
    assert.equal(started.status, 200);
    const c = await openWithToken(url);
    const stop = c.page.getByRole('button', { name: 'Stop maintenance of data_feed' });
    await stop.waitFor();
    await mark(c.page, '[data-maintenance="data_feed"] button');
    // A refresh storm: the token field's change re-reads the state; refreshes asked for meanwhile collapse into one more.
    await c.page.evaluate("setInterval(() => document.getElementById('token').dispatchEvent(new Event('change')), 10)");
    await refreshes(c.page, 5);
    assert.ok(await marked(c.page, '[data-maintenance="data_feed"] button'), 'the Stop button survived five re-reads');

    const notice = c.page.locator('[data-testid="notice"]');
    const d1 = c.page.locator(`[data-approval-id="${c1}"]`);
    await d1.getByRole('button', { name: 'Approve', exact: true }).click({ timeout: 10_000 });
    await d1.getByText('A reason is required to approve.').waitFor({ timeout: 10_000 });
    await d1.getByLabel('Reason').fill('desk agrees');
    await d1.getByRole('button', { name: 'Approve', exact: true }).click({ timeout: 10_000 });
    await notice.getByText(/Approve close_all_positions on event_executor: done/).waitFor({ timeout: 10_000 });

    const d2 = c.page.locator(`[data-approval-id="${c2}"]`);
    await d2.getByLabel('Reason').focus();
    await c.page.keyboard.type('not now');
    await c.page.keyboard.press('Tab');
    await c.page.keyboard.press('Tab');
    await c.page.keyboard.press('Enter');
    await notice.getByText(/Reject defensive_exit on event_executor: done/).waitFor({ timeout: 10_000 });

    await stop.click({ timeout: 10_000 });
    await c.page.locator('[data-maintenance="data_feed"]').waitFor({ state: 'detached', timeout: 10_000 });
    const windows = (await (await fetch(`${url}/recovery/maintenance`)).json()) as { maintenance: unknown[] };
    assert.deepEqual(windows.maintenance, []);
  });

  it('a token being edited (cleared, half typed) does not blank the approvals under the pointer until it is entered', async () => {
    const { url } = await live();
    await alert(url, 'edit-1');
    const id = await pendingId(url, 'edit-1');
    const c = await openWithToken(url, [401]); // the wrong token entered at the end is refused, as it should be
    const row = `[data-approval-id="${id}"]`;
    await c.page.locator(row).waitFor();
    await mark(c.page, row);
    const tokenField = c.page.getByLabel('Operator token');
    await tokenField.fill(''); // no change event yet: the operator is still in the field
    await refreshes(c.page, 2);
    assert.equal(await marked(c.page, row), true, 'the row stays while the token is being edited');
    await tokenField.fill(TOKEN.slice(0, 3));
    await refreshes(c.page, 1);
    assert.equal(await marked(c.page, row), true);
    await tokenField.dispatchEvent('change'); // entered: now the view reads with it (and is refused)
    await c.page
      .locator('#approvals')
      .getByText(/Refused \(HTTP 401\): invalid credentials/)
      .waitFor({ timeout: 10_000 });
  });
});
