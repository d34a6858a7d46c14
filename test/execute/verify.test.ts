// VERIFY on a re-check that is no evidence: a torn or implausible reading just after a restart is no
// verdict; the executor looks again (up to three looks a second apart) before it judges. The pipeline is
// a stand-in that answers each re-check with the next scripted reading; the executor and journal are real.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecoveryExecutor } from '../../src/execute/executor';
import { SqliteJournal } from '../../src/execute/journal';
import type { Pipeline, SubsystemStanding } from '../../src/execute/pipeline';
import { silentLogger } from '../../src/log/logger';
import type { HealthStatus } from '../../src/types';
import { VERIFIER } from '../../src/verify/verify';
import { configIn } from '../helpers/config';
import { NOW, tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';

/** One re-check's reading: its served status, and whether the reading was no evidence (errored). */
type Reading = [HealthStatus, 'valid' | 'no evidence'];

async function restartVerifiedBy(readings: Reading[]) {
  const root = tempDir();
  healthyPlatform(root, NOW); // the data directory the restart's flag file goes into
  const config = configIn(root, { recovery: { settle_sec: 0, local: false } });
  const store = new SqliteJournal(':memory:');
  const state = new Map<string, SubsystemStanding>();
  let looks = 0;
  const standing = (status: HealthStatus, evidence: Reading[1]) =>
    ({
      result: { health: { status } },
      checked: status,
      history: { consecutive_errors: evidence === 'valid' ? 0 : 1 },
      episodeStart: NOW,
      lastEpisodeStart: NOW,
    }) as SubsystemStanding;
  state.set('orchestrator', standing('critical', 'valid')); // what the alert is about
  const pipeline: Pipeline = {
    subsystems: config.subsystems.filter((s) => s.enabled),
    state,
    changeFloors: () => null,
    recheck: async (name) => {
      const [status, evidence] = readings[Math.min(looks++, readings.length - 1)];
      state.set(name, standing(status, evidence));
      return status;
    },
    reevaluate: async () => undefined,
    on: () => undefined,
    off: () => undefined,
  };
  const ex = new RecoveryExecutor(
    config,
    store,
    pipeline,
    VERIFIER,
    () => NOW,
    silentLogger(),
    { outcome: () => undefined, changed: () => undefined },
    false,
  );
  ex.recordAndAct([
    {
      status: 'firing',
      labels: { alertname: 'SelfHealSubsystemCritical', subsystem: 'orchestrator', issue_severity: 'critical' },
      annotations: {},
      startsAt: new Date(NOW).toISOString(),
      endsAt: '',
      fingerprint: 'orch',
      generatorURL: '',
    },
  ]);
  await ex.runDue();
  const r = store
    .history(10)
    .filter((x) => x.action === 'restart_subsystem')
    .at(-1)!; // the first attempt (a failed one is retried)
  return { state: r.state, detail: r.detail ?? '', looks };
}

describe('VERIFY looks again at a re-check that is no evidence', () => {
  // [the re-checks' readings in order, the record's end state, looks taken, what its detail says]
  const cases: [string, Reading[], string, number, RegExp][] = [
    ['healthy at once', [['healthy', 'valid']], 'succeeded', 1, /verify: critical → healthy$/],
    ['still critical, validly', [['critical', 'valid']], 'failed', 1, /verify: critical → critical$/],
    [
      'torn once, then healthy',
      [
        ['critical', 'no evidence'],
        ['healthy', 'valid'],
      ],
      'succeeded',
      2,
      /→ healthy; valid evidence at look 2$/,
    ],
    [
      'torn twice, then still critical',
      [
        ['critical', 'no evidence'],
        ['critical', 'no evidence'],
        ['critical', 'valid'],
      ],
      'failed',
      3,
      /→ critical; valid evidence at look 3$/,
    ],
    ['no evidence on every look', [['critical', 'no evidence']], 'failed', 3, /→ critical; no valid evidence in 3 looks$/],
  ];
  for (const [what, readings, state, looks, detail] of cases)
    it(`${what}: ${state} after ${looks} look(s)`, async () => {
      const got = await restartVerifiedBy(readings);
      assert.deepEqual([got.state, got.looks], [state, looks]);
      assert.match(got.detail, detail);
    });
});
