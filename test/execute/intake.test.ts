// The webhook's intake without HTTP: group commit, duplicates, journal failures, large deliveries.
// A real executor over an in-memory journal, with a stand-in for the running pipeline.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RecoveryExecutor, type Recorded } from '../../src/execute/executor';
import { Intake, SLICE_ALERTS, type IntakeAnswer } from '../../src/execute/intake';
import { SqliteJournal } from '../../src/execute/journal';
import { recoveryActionsCounter, RecoveryMetrics } from '../../src/execute/metrics';
import type { Pipeline } from '../../src/execute/pipeline';
import type { AlertIn } from '../../src/execute/webhook';
import { silentLogger } from '../../src/log/logger';
import { configIn } from '../helpers/config';
import { NOW, tempDir } from '../helpers/fs';
import { delivery, type TestAlert } from '../helpers/receiver';
import { VERIFIER } from '../../src/verify/verify';

function setup() {
  const config = configIn(tempDir());
  const store = new SqliteJournal(':memory:');
  const pipeline: Pipeline = {
    subsystems: config.subsystems.filter((s) => s.enabled),
    state: new Map(),
    changeFloors: () => null,
    recheck: async () => 'healthy',
    reevaluate: async () => undefined,
    on: () => undefined,
    off: () => undefined,
  };
  const executor = new RecoveryExecutor(
    config,
    store,
    pipeline,
    VERIFIER,
    () => NOW,
    silentLogger(),
    { outcome: () => undefined, changed: () => undefined },
    false,
  );
  const registry = new Registry();
  const metrics = new RecoveryMetrics(registry, recoveryActionsCounter(registry), () => undefined);
  /** Each group commit: how many deliveries it recorded together, and how many alerts. */
  const commits: number[] = [];
  const commitAlerts: number[] = [];
  const recorder = {
    recordMany: (deliveries: AlertIn[][]) => {
      commits.push(deliveries.length);
      commitAlerts.push(deliveries.reduce((n, d) => n + d.length, 0));
      return executor.recordMany(deliveries);
    },
    afterRecord: (r: Recorded) => executor.afterRecord(r),
  };
  const intake = new Intake({ recorder, store, metrics, logger: silentLogger(), instance: () => null, changed: () => undefined });
  const counter = async (name: string) => {
    const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
    return m.reduce((n, v) => n + v.value, 0);
  };
  return { intake, store, commits, commitAlerts, counter };
}

const alert = (fingerprint: string, subsystem = 'orchestrator'): TestAlert => ({
  labels: { subsystem, issue_severity: 'critical' },
  fingerprint,
});
const body = (...alerts: TestAlert[]) => JSON.stringify(delivery(alerts));
const ok = (recorded: number, deduplicated: number, received = recorded + deduplicated): IntakeAnswer => ({
  status: 200,
  body: { received, recorded, deduplicated },
});
const NOT_RECORDED: IntakeAnswer = { status: 503, body: { error: 'could not record the alerts; retry' } };

describe('intake (no HTTP)', () => {
  it('deliveries of one event-loop turn are recorded in one group commit, each answered with its own counts', async () => {
    const t = setup();
    const answers = await Promise.all([
      t.intake.receive(body(alert('a'))),
      t.intake.receive(body(alert('b'), alert('c', 'ai_model'))),
      t.intake.receive(body(alert('d'))),
    ]);
    assert.deepEqual(answers, [ok(1, 0), ok(2, 0), ok(1, 0)]);
    assert.deepEqual(t.commits, [3]);
    assert.equal(t.store.history(10).length, 4);
    assert.deepEqual(await t.intake.receive(body(alert('e'))), ok(1, 0));
    assert.deepEqual(t.commits, [3, 1], 'a later turn is a new commit');
  });

  it('duplicates, in one commit or across commits, are recorded once and counted', async () => {
    const t = setup();
    const together = await Promise.all([t.intake.receive(body(alert('a'))), t.intake.receive(body(alert('a')))]);
    assert.deepEqual(together, [ok(1, 0), ok(0, 1)]);
    assert.deepEqual(await t.intake.receive(body(alert('a'), alert('b'))), ok(1, 1));
    assert.equal(t.store.history(10).length, 2);
    assert.equal(await t.counter('selfheal_webhook_alerts_deduplicated_total'), 2);
    assert.equal(await t.counter('selfheal_webhook_alerts_received_total'), 4);
  });

  it('a journal failure answers the whole commit 503 and loses nothing acknowledged; the retry records it once', async () => {
    const t = setup();
    assert.deepEqual(await Promise.all([t.intake.receive(body(alert('a'))), t.intake.receive(body(alert('b')))]), [ok(1, 0), ok(1, 0)]);
    const insertMany = t.store.insertMany.bind(t.store);
    let calls = 0;
    t.store.insertMany = (recs) => {
      if (++calls === 2) throw new Error('disk full');
      return insertMany(recs);
    };
    const failed = await Promise.all([
      t.intake.receive(body(alert('c'))),
      t.intake.receive(body(alert('d'))),
      t.intake.receive(body(alert('a'))),
    ]);
    assert.deepEqual(failed, [NOT_RECORDED, NOT_RECORDED, NOT_RECORDED], 'every delivery of the failed commit');
    assert.deepEqual(
      t.store
        .history(10)
        .map((r) => r.fingerprint)
        .sort(),
      ['a', 'b'],
      'the acknowledged are kept; the failed commit is rolled back whole',
    );
    assert.match(String(t.intake.notReady()), /the journal cannot record: disk full/);

    t.store.insertMany = insertMany;
    const retried = await Promise.all([
      t.intake.receive(body(alert('c'))),
      t.intake.receive(body(alert('d'))),
      t.intake.receive(body(alert('a'))),
    ]);
    assert.deepEqual(retried, [ok(1, 0), ok(1, 0), ok(0, 1)]);
    assert.equal(t.intake.notReady(), null, 'ready again once a commit succeeds');
    assert.deepEqual(
      t.store
        .history(10)
        .map((r) => r.fingerprint)
        .sort(),
      ['a', 'b', 'c', 'd'],
    );
  });

  it('a journal removed under us: 503 before anything is recorded', async () => {
    const t = setup();
    t.store.problem = () => 'journal /x was removed while running';
    assert.deepEqual(await t.intake.receive(body(alert('a'))), NOT_RECORDED);
    assert.match(String(t.intake.notReady()), /was removed while running/);
    assert.equal(t.store.history(10).length, 0);
    assert.deepEqual(t.commits, []);
  });

  it('malformed or invalid bodies are 400 with the reason, and nothing is recorded', async () => {
    const t = setup();
    const bad = await t.intake.receive('{"alerts": [');
    assert.equal(bad.status, 400);
    assert.match(String((bad.body as { error: string }).error), /^malformed JSON: /);
    assert.deepEqual(await t.intake.receive('{"alerts": 3}'), { status: 400, body: { error: 'alerts: expected a list' } });
    const invalid = JSON.stringify({ alerts: [...delivery([alert('a')]).alerts, { status: 'pending' }] });
    assert.deepEqual(await t.intake.receive(invalid), {
      status: 400,
      body: { error: 'alerts[1].status: expected "firing" or "resolved"' },
    });
    assert.deepEqual(t.commits, []);
  });

  it(`a delivery larger than ${SLICE_ALERTS} alerts is recorded a slice per commit and answered once`, async () => {
    const t = setup();
    const n = 2 * SLICE_ALERTS + 100;
    const alerts = Array.from({ length: n }, (_, i) => alert(`big${i}`, 'logging'));
    assert.deepEqual(await t.intake.receive(body(...alerts)), ok(n, 0));
    assert.ok(t.commits.length >= 3, `${t.commits.length} commits`);
    assert.ok(
      t.commitAlerts.every((a) => a <= SLICE_ALERTS),
      `at most ${SLICE_ALERTS} a commit: ${t.commitAlerts.join(', ')}`,
    );
    assert.equal(
      t.commitAlerts.reduce((a, b) => a + b, 0),
      n,
    );
    assert.equal(t.store.history(1000).length, n);
  });

  it('many large deliveries at once share the per-turn bound: no commit holds more than a slice', async () => {
    const t = setup();
    const bodies = Array.from({ length: 8 }, (_, d) => body(...Array.from({ length: 200 }, (_, i) => alert(`d${d}a${i}`, 'logging'))));
    const answers = await Promise.all(bodies.map((b) => t.intake.receive(b)));
    assert.deepEqual(
      answers,
      Array.from({ length: 8 }, () => ok(200, 0)),
    );
    assert.ok(
      t.commitAlerts.every((a) => a <= SLICE_ALERTS),
      `at most ${SLICE_ALERTS} a commit: ${t.commitAlerts.join(', ')}`,
    );
    assert.equal(t.store.history(2000).length, 1600);
  });

  it('a large delivery whose slice fails is answered 503; what was durable before dedups on the retry', async () => {
    const t = setup();
    const n = 3 * SLICE_ALERTS;
    const big = body(...Array.from({ length: n }, (_, i) => alert(`r${i}`, 'logging')));
    const insertMany = t.store.insertMany.bind(t.store);
    let calls = 0;
    t.store.insertMany = (recs) => {
      if (++calls === 2) throw new Error('disk full');
      return insertMany(recs);
    };
    assert.deepEqual(await t.intake.receive(big), NOT_RECORDED);
    const durable = t.store.history(2000).length;
    assert.ok(durable > 0 && durable < n, `${durable} durable after the failed slice`);
    t.store.insertMany = insertMany;
    assert.deepEqual(await t.intake.receive(big), ok(n - durable, durable));
    assert.equal(t.store.history(2000).length, n);
  });
});
