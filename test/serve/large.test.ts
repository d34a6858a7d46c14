// Large platforms (more than LARGE_PLATFORM subsystems) are analysed, rendered and written in slices.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LARGE_PLATFORM, runToEnd } from '../../src/util/slices';
import { SubsystemFamilies, type SubsystemSample } from '../../src/metrics/subsystem_families';
import { HEALTH_STATUSES, type HealthStatus } from '../../src/types';
import { configIn } from '../helpers/config';
import { tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { startService } from '../helpers/service';

const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8');

function largePlatform(extra: number) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  mkdirSync(join(root, 'data', 'extra'));
  const subsystems: Record<string, unknown> = {};
  for (let i = 0; i < extra; i++) {
    writeFileSync(join(root, 'data', 'extra', `svc_${i}.json`), '{}');
    subsystems[`svc_${i}`] = { check: 'file_freshness', path: `extra/svc_${i}.json`, critical_for_trading: 'partial' };
  }
  return { root, config: configIn(root, { policy: { hold_down_sec: 0 }, subsystems }) };
}

function statusOf(exposition: string, subsystem: string): HealthStatus[] {
  return HEALTH_STATUSES.filter((st) => exposition.includes(`selfheal_subsystem_status{subsystem="${subsystem}",status="${st}"} 1\n`));
}

describe('subsystem families', () => {
  it('after any sequence of changes the cached blocks render exactly what a fresh render does', () => {
    const names = Array.from({ length: 700 }, (_, i) => `s${i}`);
    const live = new SubsystemFamilies(names);
    const latest = new Map<string, SubsystemSample>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 50; k++) {
        const name = names[rnd(names.length)];
        const s: SubsystemSample = {
          status: HEALTH_STATUSES[rnd(HEALTH_STATUSES.length)],
          duration_seconds: rnd(1000) / 1000,
          consecutive_failures: rnd(3),
          errors_total: rnd(5),
          last_update_seconds: rnd(2) ? undefined : 1_800_000_000 + rnd(100),
        };
        live.set(name, s);
        latest.set(name, s);
      }
      const fresh = new SubsystemFamilies(names);
      for (const [n, s] of latest) fresh.set(n, s);
      const expected = text(runToEnd(fresh.renderSteps()).text);
      assert.equal(text(runToEnd(live.renderSteps()).text), expected, `round ${round}`);
    }
  });

  it('a change re-encodes only the blocks it touches', () => {
    const names = Array.from({ length: 700 }, (_, i) => `s${i}`);
    const fam = new SubsystemFamilies(names);
    const stepsOf = () => {
      const g = fam.renderSteps();
      let steps = 0;
      while (!g.next().done) steps++;
      return steps;
    };
    // Every family's blocks of 256 subsystems; the families counted from a render's TYPE lines.
    const families = text(runToEnd(new SubsystemFamilies(['x']).renderSteps()).text).match(/^# TYPE /gm)!.length;
    assert.equal(stepsOf(), families * Math.ceil(700 / 256), 'first render: every block');
    assert.equal(stepsOf(), 0, 'nothing changed: nothing re-encoded');
    fam.set('s300', { ...fam.get('s300')!, duration_seconds: 0.5 });
    assert.equal(stepsOf(), 1);
    fam.set('s0', { ...fam.get('s0')!, status: 'critical', consecutive_failures: 1 });
    fam.set('s699', { ...fam.get('s699')!, status: 'critical' });
    assert.equal(stepsOf(), 3, 'status blocks of s0 and s699, the failures block of s0');
  });
});

describe(`a platform of more than ${LARGE_PLATFORM} subsystems`, () => {
  it('serves a lint-clean exposition in parts, and /report as the bytes written to report_path', async () => {
    const { config } = largePlatform(LARGE_PLATFORM + 100);
    const { svc, url } = await startService(config);
    await svc.metrics.render();
    const res = await fetch(`${url}/metrics`, { headers: { 'accept-encoding': 'identity' } });
    const body = await res.text();
    assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(body));
    const n = config.subsystems.filter((s) => s.enabled).length;
    assert.equal(body.split('\n').filter((l) => l.startsWith('selfheal_subsystem_status{')).length, n * HEALTH_STATUSES.length);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);

    await svc.monitor.forceCheck();
    for (let i = 0; i < 200 && (await fetch(`${url}/report`).then((r) => r.text())) !== JSON.stringify(svc.monitor.report); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await (await fetch(`${url}/report`)).text(), JSON.stringify(svc.monitor.report));
  });

  it("while a cycle's metrics are refreshed in slices, every scrape sees one whole cycle, never a mix", async () => {
    const { root, config } = largePlatform(LARGE_PLATFORM + 100);
    const { svc } = await startService(config);
    const before = text((await svc.metrics.render()).text.parts);
    assert.deepEqual(statusOf(before, 'svc_0'), ['healthy']);

    writeAged(join(root, 'data', 'extra', 'svc_0.json'), '{}', 10 * 60, Date.now());
    writeAged(join(root, 'data', 'extra', `svc_${LARGE_PLATFORM + 99}.json`), '{}', 10 * 60, Date.now());
    await svc.monitor.forceCheck();
    // Sample what a scrape would be served at every turn of the loop until the refresh is done.
    const seen: string[] = [];
    let done = false;
    const refreshed = svc.metrics.render().then(() => (done = true));
    while (!done) {
      seen.push(text(svc.metrics.cached()!.text.parts));
      await new Promise((r) => setImmediate(r));
    }
    await refreshed;
    seen.push(text(svc.metrics.cached()!.text.parts));
    assert.ok(seen.length > 2, `the refresh took ${seen.length} turns`);
    assert.equal(seen[0], before, 'the previous cycle is served until the new one is complete');
    for (const s of seen) {
      const first = statusOf(s, 'svc_0');
      const last = statusOf(s, `svc_${LARGE_PLATFORM + 99}`);
      assert.equal(first.length, 1);
      assert.deepEqual(last, first, 'both subsystems changed in the same cycle');
      assert.equal(s === before, first[0] === 'healthy');
    }
    assert.notDeepEqual(statusOf(seen[seen.length - 1], 'svc_0'), ['healthy']);
  });
});
