// Invariants of the decision core, over many random sequences (seeded, so a failure replays):
// 1. no sequence of readings in which every restart verifies as a success leads to emergency_shutdown,
//    whatever noise (future dates, torn files, bad dates, flaps) and whatever rate limits;
// 2. no gate (cooldown, breaker, backoff, maintenance, a busy lane) ever lowers the served policy below
//    the floor of a protective alert that fires.
// The real monitor, executor and SQLite journal, with an injected clock and explicit mtimes.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ACTIONS } from '../../src/recommend/actions';
import { policyLevel, type RecoveryAction } from '../../src/types';
import { configIn } from '../helpers/config';
import { NOW, tempDir, writeAged } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { startWithReceiver } from '../helpers/receiver';

/** mulberry32: small, seeded, good enough to pick test inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const READINGS = ['fresh', 'fresh', 'fresh', 'stall', 'stall', 'torn', 'future', 'bad_date', 'year_2099', 'garbage'] as const;
type Reading = (typeof READINGS)[number];

function heartbeatText(kind: Reading, now: number): string | null {
  switch (kind) {
    case 'fresh':
      return JSON.stringify({ last_cycle_timestamp: new Date(now).toISOString() });
    case 'stall':
      return null; // nothing written: the last heartbeat ages
    case 'torn':
      return '{"last_cycle_timest';
    case 'future':
      return JSON.stringify({ last_cycle_timestamp: new Date(now + 45_000).toISOString() });
    case 'bad_date':
      return JSON.stringify({ last_cycle_timestamp: 'yesterday' });
    case 'year_2099':
      return JSON.stringify({ last_cycle_timestamp: '2099-01-01T00:00:00Z' });
    case 'garbage':
      return '\u0000\u0001';
  }
}

describe('invariant: restarts that verify never lead to emergency_shutdown', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`random noise and flaps, every restart healing (seed ${seed})`, async () => {
      const r = rng(seed);
      const root = tempDir();
      let now = NOW;
      healthyPlatform(root, now);
      const data = join(root, 'data');
      const config = configIn(root, {
        policy: { hold_down_sec: pick(r, [0, 1, 5]) },
        max_consecutive_failures: pick(r, [1, 2, 3]),
        flapping: { episodes: pick(r, [2, 3, 5]), window_sec: 120, stable_sec: pick(r, [5, 30]) },
        recovery: {
          settle_sec: 1,
          cooldown_sec: pick(r, [0, 5]),
          backoff_initial_sec: 1,
          backoff_max_sec: 4,
          breaker_max_executions: pick(r, [1, 2, 5]),
          breaker_window_sec: 60,
        },
        subsystems: { event_executor: { degraded_after_sec: 2, critical_after_sec: 4 } },
      });
      const t = await startWithReceiver(config, { clock: () => now });
      try {
        const beat = join(data, 'event_executor_state.json');
        const flag = join(data, 'event_executor_restart_requested.flag');
        let healingUntil = 0;
        // The executor's file as the executor left it (the rest of the platform is rewritten fresh each step).
        let beatText = JSON.stringify({ last_cycle_timestamp: new Date(now - 1000).toISOString() });
        let beatAt = now;
        const served: string[] = [];
        for (let step = 0; step < 120; step++) {
          now += Math.floor(250 + r() * 2500);
          healthyPlatform(root, now);
          if (existsSync(flag)) {
            // The supervisor restarts the executor: it writes valid heartbeats until the restart is verified.
            rmSync(flag);
            healingUntil = now + 2_000;
          }
          const healing = now < healingUntil || t.receiver.store.countByState('verifying') > 0;
          const kind: Reading = healing ? 'fresh' : pick(r, READINGS);
          const text = heartbeatText(kind, now);
          if (text !== null) {
            beatText = text;
            beatAt = now;
          }
          writeAged(beat, beatText, 0, beatAt);
          await t.svc.monitor.tick();
          await t.receiver.executor.runDue();
          await t.receiver.executor.idle();
          served.push(t.svc.monitor.policy.policy);
        }
        const restarts = t.receiver.store.history(1000).filter((x) => x.action === 'restart_subsystem' && x.outcome !== null);
        assert.ok(
          restarts.every((x) => x.state !== 'failed'),
          `the premise: every restart verified (${restarts.map((x) => x.state).join(',')})`,
        );
        assert.ok(!served.includes('emergency_shutdown'), `seed ${seed}: ${served.join(' ')}`);
      } finally {
        await t.stop();
      }
    });
  }
});

const PROTECTIVE = (Object.keys(ACTIONS) as RecoveryAction[]).filter(
  (a) => ACTIONS[a].policy_floor && ACTIONS[a].auto({ auto_restart_enabled: true, auto_pause_on_critical: true }),
);

describe('invariant: no gate lowers the served policy below an active protective floor', () => {
  for (let seed = 1; seed <= 8; seed++) {
    it(`random protective and remediation alerts under cooldown, breaker and maintenance (seed ${seed})`, async () => {
      const r = rng(1000 + seed);
      const root = tempDir();
      let now = NOW;
      healthyPlatform(root, now);
      const config = configIn(root, {
        policy: { hold_down_sec: 0 },
        api: { token: 'op' },
        recovery: {
          local: false,
          cooldown_sec: pick(r, [0, 30, 300]),
          breaker_max_executions: pick(r, [1, 2, 5]),
          breaker_window_sec: 3600,
          max_concurrent_handlers: 1,
        },
      });
      const t = await startWithReceiver(config, { clock: () => now });
      try {
        const subsystems = ['data_feed', 'exchange_connection', 'orchestrator', 'ai_model'];
        const open = new Map<string, { action: RecoveryAction; startsAt: string; subsystem: string }>();
        for (let step = 0; step < 150; step++) {
          now += Math.floor(r() * 20_000);
          healthyPlatform(root, now);
          if (r() < 0.1) t.receiver.maintenance.start(pick(r, subsystems), 60, 'random window');
          const fp = `fp-${Math.floor(r() * 6)}`;
          const known = open.get(fp);
          const alert =
            known && r() < 0.4
              ? { status: 'resolved' as const, ...known }
              : {
                  status: 'firing' as const,
                  action: pick(r, [...PROTECTIVE, 'restart_subsystem' as const]),
                  subsystem: pick(r, subsystems),
                  startsAt: new Date(now).toISOString(),
                };
          if (alert.status === 'resolved') open.delete(fp);
          else if (!known) open.set(fp, alert);
          else continue; // the same alert instance fires once
          t.receiver.executor.recordAndAct([
            {
              status: alert.status,
              labels: { alertname: 'Random', subsystem: alert.subsystem, action: alert.action, issue_severity: 'critical' },
              annotations: {},
              startsAt: alert.startsAt,
              endsAt: '',
              fingerprint: fp,
              generatorURL: '',
            },
          ]);
          await t.receiver.executor.runDue();
          const owed = [...open.values()].map((a) => ACTIONS[a.action].policy_floor).filter((p) => p !== undefined);
          const floor = Math.max(0, ...owed.map(policyLevel));
          const level = policyLevel(t.svc.monitor.policy.policy);
          assert.ok(level >= floor, `step ${step}: served ${t.svc.monitor.policy.policy} below a firing floor (${owed.join(',')})`);
        }
      } finally {
        await t.stop();
      }
    });
  }
});
