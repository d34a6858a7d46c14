// Issue 23: recovery reaches real supervisors. A hung event_executor (still running, no heartbeat)
// under the Docker Engine or under systemd is restarted by selfheal's local path through the
// supervisor's own API; the supervisor confirms it, the heartbeat resumes, VERIFY passes and the
// policy returns to allow_all. No flag file, no simulator.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { after, describe, it } from 'node:test';
import type { JournalRecord } from '../../src/execute/journal';
import { closeBrowser, openConsole } from '../helpers/browser';
import { docker, ensureImages, removeContainers } from '../helpers/docker';
import { tempDir } from '../helpers/fs';
import { check, type Schema } from '../helpers/schema';
import { until } from '../helpers/process';
import {
  hang,
  heartbeatSec,
  OPERATOR_TOKEN,
  startBusyboxExecutor,
  startSelfheal,
  startSystemdExecutor,
  supervisedConfig,
  TIMING,
  type Selfheal,
} from '../helpers/supervisors';

const OPENAPI = parse(readFileSync(resolve(__dirname, '../../../docs/openapi.yaml'), 'utf8')) as Schema;

/**
 * The restart's start is due one critical interval after the heartbeat's age crosses the threshold
 * that recommends it; the slack is for a loaded 2-core machine (scheduling, the check itself).
 */
const SLACK_MS = 2000;

/** Hang the executor, then wait for the supervisor-confirmed, verified restart and allow_all again. */
async function hangAndHeal(s: Selfheal, hb: string): Promise<{ record: JournalRecord; lastBeat: number }> {
  await until('healthy and allow_all', async () => (await s.policy()) === 'allow_all', 30_000);
  const lastBeat = await hang(hb);
  await until('the restart is verified', async () => s.restarts().some((r) => r.state === 'succeeded'), 60_000);
  const record = s.restarts().find((r) => r.state === 'succeeded')!;
  await until('the heartbeat resumed', async () => (heartbeatSec(hb) ?? 0) > lastBeat, 10_000);
  assert.ok(!existsSync(`${hb}/hang`), 'the restarted process forgot the hang');
  await until('the policy is allow_all again', async () => (await s.policy()) === 'allow_all', 30_000);
  // The record as an operator reads it.
  const res = await fetch(`${s.url}/recovery/history`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  const served = ((await res.json()) as JournalRecord[]).find((r) => r.id === record.id)!;
  assert.deepEqual(served.evidence, record.evidence, 'GET /recovery/history shows the supervisor evidence');
  assert.deepEqual(check(OPENAPI, { $ref: '#/components/schemas/JournalRecord' }, served), [], 'as docs/openapi.yaml says');
  // Never the flag-file path: nothing was written for a supervisor to read.
  assert.deepEqual(
    readdirSync(s.svc.config.data_dir).filter((f) => f.endsWith('.flag')),
    [],
  );
  return { record, lastBeat };
}

/** Started within one critical interval of the heartbeat's age reaching the degraded threshold. */
function assertPrompt(record: JournalRecord, lastBeat: number): void {
  const due = lastBeat * 1000 + TIMING.degraded_after_sec * 1000;
  const late = record.started_at! - due;
  assert.ok(
    late <= TIMING.critical_check_interval * 1000 + SLACK_MS,
    `restart started ${late} ms after the heartbeat went stale (interval ${TIMING.critical_check_interval} s)`,
  );
}

describe('e2e: recovery through real supervisors', { timeout: 170_000 }, () => {
  after(() => closeBrowser());
  it('Docker: a hung container is restarted through the Engine API, confirmed, verified; allow_all again', async () => {
    const images = await ensureImages(['busybox']);
    const hb = tempDir('selfheal-hb-');
    const name = await startBusyboxExecutor(images, hb);
    const s = await startSelfheal(supervisedConfig(tempDir(), hb, { docker: { container: name, stop_timeout_sec: 5 } }));
    const { record, lastBeat } = await hangAndHeal(s, hb);
    assert.equal(record.outcome, 'success');
    const ev = record.evidence!;
    assert.equal(ev.kind, 'docker');
    assert.equal(ev.target, name);
    if (ev.kind !== 'docker') return;
    assert.ok(ev.before && ev.after);
    assert.ok(Date.parse(ev.after.started_at) > Date.parse(ev.before.started_at), 'StartedAt moved on');
    assert.equal(ev.after.running, true);
    assert.equal(docker(['inspect', '-f', '{{.State.StartedAt}}', name]), ev.after.started_at, 'the Engine agrees');
    assert.match(record.detail ?? '', /restarted \(StartedAt .* → .*\); verify: (degraded|critical) → healthy/);
    assertPrompt(record, lastBeat);
    assert.equal(s.restarts().filter((r) => r.started_at !== null).length, 1, 'one restart');
    // The console's history row shows the supervisor's before → after.
    const c = await openConsole(s.url);
    after(() => c.close());
    const token = c.page.getByLabel('Operator token');
    await token.fill(OPERATOR_TOKEN);
    await token.dispatchEvent('change');
    const line = c.page.locator(`#history tr[data-action-id="${record.id}"] [data-evidence="docker"]`);
    await line.waitFor({ timeout: 30_000 });
    assert.equal(await line.textContent(), `docker restart ${name}: StartedAt ${ev.before.started_at} → ${ev.after.started_at}`);
    assert.deepEqual(c.problems, []);
  });

  it('systemd: a hung unit is restarted through D-Bus, confirmed, verified; allow_all again', async () => {
    const images = await ensureImages(['systemd']);
    const hb = tempDir('selfheal-hb-');
    const { address } = await startSystemdExecutor(images, hb);
    const s = await startSelfheal(supervisedConfig(tempDir(), hb, { systemd: { unit: 'heartbeat.service', address } }));
    const { record, lastBeat } = await hangAndHeal(s, hb);
    const ev = record.evidence!;
    assert.equal(ev.kind, 'systemd');
    if (ev.kind !== 'systemd') return;
    assert.ok(ev.before && ev.after);
    assert.equal(ev.after.active_state, 'active');
    assert.notEqual(ev.after.main_pid, ev.before.main_pid, 'a new main process');
    assert.ok(
      Date.parse(ev.after.active_enter_timestamp!) > Date.parse(ev.before.active_enter_timestamp!),
      'ActiveEnterTimestamp moved on',
    );
    assert.match(record.detail ?? '', /heartbeat\.service restarted \(MainPID \d+ → \d+/);
    assertPrompt(record, lastBeat);
  });

  it('a removed container is our fault: the action fails naming it, counted as handler_config, never escalated or retried', async () => {
    const images = await ensureImages(['busybox']);
    const hb = tempDir('selfheal-hb-');
    const name = await startBusyboxExecutor(images, hb);
    const s = await startSelfheal(supervisedConfig(tempDir(), hb, { docker: { container: name } }, { backoff_initial_sec: 0 }));
    await until('healthy and allow_all', async () => (await s.policy()) === 'allow_all', 30_000);
    removeContainers(name);
    await until('the restart failed', async () => s.restarts().some((r) => r.state === 'failed'), 60_000);
    const failed = s.restarts().find((r) => r.state === 'failed')!;
    assert.equal(failed.outcome, 'own_fault');
    assert.match(failed.detail ?? '', new RegExp(`container ${name} \\(Docker Engine at /var/run/docker.sock\\): no such container`));
    await until('counted as selfheal_internal_errors_total{kind="handler_config"}', async () =>
      /^selfheal_internal_errors_total\{kind="handler_config"\} 1$/m.test(await s.metrics()),
    );
    // Several cycles later: no retry, no escalation — the subsystem is critical by its own evidence, not failed.
    const checks = s.svc.monitor.cycles;
    await until('five more cycles', async () => s.svc.monitor.cycles >= checks + 5, 30_000);
    assert.equal(s.restarts().filter((r) => r.started_at !== null).length, 1, 'not retried');
    const exec = s.svc.monitor.report!.subsystem_health.event_executor;
    assert.equal(exec.status, 'critical');
    assert.equal(exec.details.escalation, undefined);
  });
});
