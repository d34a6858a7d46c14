// The console's first paint comes from the server: plain headless Chromium (Debian's, the command line
// a screenshot script would run) shows the served policy without running the page's script, and with
// the script the page takes over without a flash (every element the server filled keeps its text).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CHROMIUM, CHROMIUM_ARGS, browser, closeBrowser } from '../helpers/browser';
import { configIn } from '../helpers/config';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { getJson, post, startService } from '../helpers/service';

const TOKEN = 'op-token';

async function live() {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  const config = configIn(root, { check_interval: 1, critical_check_interval: 1, policy: { hold_down_sec: 0 }, api: { token: TOKEN } });
  const s = await startService(config, { watchFiles: true, schedule: true });
  await s.svc.monitor.forceCheck();
  return s;
}

/** `chromium --headless` as a script would run it (the page's script runs too, but its data may not have arrived). */
async function chromium(args: string[]): Promise<string> {
  // Not spawnSync: the service under test runs in this process and must go on answering.
  const child = spawn(CHROMIUM, ['--headless', ...CHROMIUM_ARGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  assert.equal(code, 0, err);
  return out;
}

/** The page with scripts off (what shows before, or without, the page's script): the text of some elements. */
async function withoutScript(url: string) {
  const b = await browser();
  const context = await b.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}/`);
    const text = async (id: string) => ((await page.textContent(`#${id}`)) ?? '').replace(/\s+/g, ' ').trim();
    return {
      policy: await text('policy'),
      overall: await text('overall'),
      trading: await text('trading'),
      reasons: await text('reasons'),
      directives: await text('directives'),
      override: await text('override'),
      latch: await text('latch'),
      holdDown: await text('hold-down'),
      validUntil: await text('valid-until'),
      policyClass: (await page.getAttribute('#policy', 'class')) ?? '',
      markupInReasons: (await page.$('#reasons b')) !== null,
      liftDisabled: await page.isDisabled('#override-lift'),
      html: await page.content(),
    };
  } finally {
    await context.close();
  }
}

after(closeBrowser);

describe('console: first paint from the server', () => {
  it('plain headless Chromium (the command line): the policy, not "loading…"; a screenshot is taken', async () => {
    const { url } = await live();
    const dom = await chromium(['--dump-dom', `${url}/`]);
    assert.match(dom, /<span id="policy" class="policy p-allow_all" data-testid="policy">allow_all<\/span>/);
    assert.match(dom, /<span id="overall" class="badge s-healthy" data-testid="overall">healthy<\/span>/);
    assert.doesNotMatch(dom, /loading…/);
    const png = join(tempDir(), 'console.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,900', `${url}/`]);
    assert.ok(existsSync(png) && statSync(png).size > 10_000, 'a screenshot of the rendered page');
  });

  it("scripts off: the server's HTML alone shows the policy, its reasons and timers; an operator's words are text", async () => {
    const { url } = await live();
    const p = await withoutScript(url);
    assert.deepEqual([p.policy, p.policyClass, p.overall], ['allow_all', 'policy p-allow_all', 'healthy']);
    assert.equal(p.trading, 'trading allowed · new positions allowed · max leverage unlimited · size ×1');
    // The served reasons as they are (or the page's words for none).
    const served = ((await getJson(`${url}/policy`)).body as { reasons: string[] }).reasons;
    assert.equal(p.reasons, served.length ? served.join('') : 'none: all subsystems healthy');
    assert.match(p.directives, /^open positions: yes · increase positions: yes · reduce positions: yes · adjust stops: yes/);
    assert.deepEqual([p.override, p.latch, p.holdDown, p.liftDisabled], ['none', 'not latched', 'none pending', true]);
    assert.match(p.validUntil, /^expires in \d+ s \(at \d\d:\d\d:\d\d UTC\)$/);
    assert.doesNotMatch(p.html, /loading…/);

    const reason = '<b>venue</b> halt & "check"';
    const o = await post(
      `${url}/policy/override`,
      { policy: 'defensive_exit', duration_sec: 600, reason },
      { authorization: `Bearer ${TOKEN}` },
    );
    assert.equal(o.status, 200);
    const q = await withoutScript(url);
    assert.equal(q.policy, 'defensive_exit');
    assert.ok(q.reasons.includes(`override by operator: ${reason}`), q.reasons);
    assert.equal(q.markupInReasons, false, 'the reason is text, not markup');
    assert.match(
      q.override,
      /^defensive_exit — override by operator: <b>venue<\/b> halt & "check" — ends in (9|10) min \d+ s \(at \d\d:\d\d:\d\d UTC\)$/,
    );
    assert.match(q.directives, /close positions: high_risk · .*high risk means: leverage above 5 or tagged high_risk$/);
    assert.equal(q.liftDisabled, false);
  });

  // The server's first paint and the script's renderer are two copies (separate bundles): in the calm state and
  // under an operator's defensive_exit (override row, high-risk directives, several reasons) they must agree.
  for (const state of ['calm', 'overridden'] as const)
    it(`the script takes over without a flash (${state}): every element the server filled keeps its text`, async () => {
      const { url } = await live();
      if (state === 'overridden') {
        const o = await post(
          `${url}/policy/override`,
          { policy: 'defensive_exit', duration_sec: 600, reason: 'venue halt' },
          { authorization: `Bearer ${TOKEN}` },
        );
        assert.equal(o.status, 200);
      }
      await noFlash(url, state === 'calm' ? /^allow_all\|policy p-allow_all\|false$/ : /^defensive_exit\|policy p-defensive_exit\|false$/);
    });
});

/** Opens the console with every watched element's texts recorded from before the page's own code runs. */
async function noFlash(url: string, policy: RegExp): Promise<void> {
  const b = await browser();
  const context = await b.newContext({ viewport: { width: 1280, height: 900 } });
  after(() => context.close());
  const page = await context.newPage();
  // Before any of the page's own code: record every text the watched elements take (countdowns aside).
  await page.addInitScript(`
    const ids = ['overall', 'policy', 'trading', 'manual', 'reasons', 'directives', 'latch', 'override'];
    window.seen = {};
    const text = (id) => {
      const el = document.getElementById(id);
      if (!el) return null;
      const copy = el.cloneNode(true);
      copy.querySelectorAll('[data-until],[data-since]').forEach((n) => n.remove());
      return copy.textContent + '|' + el.className + '|' + el.hidden;
    };
    const note = () => {
      for (const id of ids) {
        const t = text(id);
        const list = (window.seen[id] ??= []);
        if (t !== null && list[list.length - 1] !== t) list.push(t);
      }
    };
    new MutationObserver(note).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  `);
  await page.goto(`${url}/`);
  await page.waitForSelector('tr[data-subsystem]', { timeout: 30_000 }); // the script's first full load
  await page.waitForSelector('[data-testid="live"]:text-is("● Live")', { timeout: 30_000 });
  const seen = (await page.evaluate('window.seen')) as Record<string, string[]>;
  for (const [id, texts] of Object.entries(seen))
    assert.equal(texts.length, 1, `#${id} changed after the first paint: ${texts.join(' → ')}`);
  assert.match(seen.policy[0], policy);
  assert.match(seen.overall[0], /^healthy\|badge s-healthy\|false$/);
}
