import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalRecord } from '../../src/execute/journal';
import { backoffSec, breakerOpen, consecutiveFailures, notBefore, type StormLimits } from '../../src/execute/limits';

const L: StormLimits = {
  cooldown_sec: 300,
  backoff_initial_sec: 10,
  backoff_max_sec: 300,
  backoff_reset_sec: 600,
  breaker_max_executions: 5,
  breaker_window_sec: 3600,
  max_consecutive_failures: 3,
};

describe('restart backoff (10 s doubling to 5 min)', () => {
  for (const [n, want] of [
    [0, 0],
    [1, 10],
    [2, 20],
    [3, 40],
    [4, 80],
    [5, 160],
    [6, 300],
    [9, 300],
  ] as const) {
    it(`${n} failures → ${want} s`, () => assert.equal(backoffSec(n, L), want));
  }
  it('counts failures in a row, newest first, until a success', () => {
    const r = (state: string, finished_at: number) => ({ state, finished_at }) as JournalRecord;
    assert.equal(consecutiveFailures([r('failed', 100), r('failed', 90), r('succeeded', 80), r('failed', 70)], 100, 600), 2);
  });
  it('forgives after 10 minutes (599.999 s no, 600.001 s yes)', () => {
    const f = [{ state: 'failed', finished_at: 0 } as JournalRecord];
    assert.equal(consecutiveFailures(f, 599_999, 600), 1);
    assert.equal(consecutiveFailures(f, 600_001, 600), 0);
  });
  it('restarts wait from the failure; other actions cool down from their last start', () => {
    assert.equal(notBefore('restart_subsystem', 1000, 5000, 2, L), 25_000);
    assert.equal(notBefore('restart_subsystem', 1000, 5000, 0, L), 0);
    assert.equal(notBefore('pause_trading', 1000, null, 0, L), 301_000);
    assert.equal(notBefore('pause_trading', null, null, 0, L), 0);
  });
  it('breaker opens at N executions in the window', () => {
    assert.equal(breakerOpen(4, L), false);
    assert.equal(breakerOpen(5, L), true);
  });
});
