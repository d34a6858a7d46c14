// A record's state in an operator's words: one row per state (and per way of waiting), at a fixed clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordState } from '../../src/execute/journal';
import { TRANSITIONS } from '../../src/execute/record';
import { clockTime, stateWords, type Worded } from '../../src/execute/state_words';

const NOW = Date.parse('2025-03-14T12:00:00Z');
const at = (iso: string) => Date.parse(`2025-03-14T${iso}Z`);
const rec = (state: RecordState, patch: Partial<Worded> = {}): Worded => ({
  state,
  reason: 'alert SelfHealSubsystemCritical',
  not_before: null,
  verify_at: null,
  expires_at: null,
  approved: false,
  outcome: null,
  ...patch,
});

/** Every state, with the words it must read as; the Record type makes a new state fail to compile here. */
const CASES: Record<RecordState, [string, Worded, string][]> = {
  recorded: [
    ['due now', rec('recorded'), 'due: runs now'],
    ['its not_before passed', rec('recorded', { not_before: at('11:59:00') }), 'due: runs now'],
    ['approved', rec('recorded', { approved: true }), 'approved: runs now'],
    [
      'cooled down',
      rec('recorded', { not_before: at('12:05:00'), reason: 'alert X; cooldown: runs after 2025-03-14T12:05:00.000Z' }),
      'deferred: runs after 12:05:00 UTC (cooldown)',
    ],
    [
      'backing off',
      rec('recorded', { not_before: at('12:01:30'), reason: 'alert X; backoff: runs after 2025-03-14T12:01:30.000Z' }),
      'deferred: runs after 12:01:30 UTC (backoff)',
    ],
    [
      'held by maintenance, after a cooldown note (the last note says why)',
      rec('recorded', {
        not_before: at('13:00:00'),
        reason: 'alert X; cooldown: runs after 2025-03-14T12:05:00.000Z; held by a maintenance window until 2025-03-14T13:00:00.000Z',
      }),
      'deferred: runs after 13:00:00 UTC (maintenance window)',
    ],
    ['deferred, no note', rec('recorded', { not_before: at('12:00:10') }), 'deferred: runs after 12:00:10 UTC'],
    [
      'deferred to another day (a long window)',
      rec('recorded', { not_before: Date.parse('2025-03-16T08:00:00Z') }),
      'deferred: runs after 2025-03-16 08:00:00 UTC',
    ],
  ],
  pending_approval: [
    ['with its expiry', rec('pending_approval', { expires_at: at('12:10:00') }), 'waiting for approval (expires 12:10:00 UTC)'],
    ['without one', rec('pending_approval'), 'waiting for approval'],
  ],
  running: [['running', rec('running'), 'running']],
  verifying: [
    ['with its re-check', rec('verifying', { verify_at: at('12:00:05') }), 'verifying (re-check at 12:00:05 UTC)'],
    ['without one', rec('verifying'), 'verifying'],
  ],
  succeeded: [['succeeded', rec('succeeded', { outcome: 'success' }), 'done: succeeded']],
  failed: [
    ['verified failure', rec('failed', { outcome: 'failure' }), 'done: failed'],
    ["selfheal's own fault", rec('failed', { outcome: 'own_fault' }), "done: failed (selfheal's own fault: nothing ran)"],
  ],
  rejected: [['rejected', rec('rejected'), 'done: rejected by an operator']],
  expired: [['expired', rec('expired'), 'done: approval expired']],
  cancelled: [['cancelled', rec('cancelled'), 'done: cancelled (its alert resolved)']],
  dry_run: [['dry run', rec('dry_run'), 'done: dry run (not executed)']],
  ignored: [['ignored', rec('ignored'), 'noted: no action taken']],
  resolved: [['resolved', rec('resolved'), 'alert resolved']],
};

describe('stateWords', () => {
  for (const [state, rows] of Object.entries(CASES)) {
    for (const [name, r, want] of rows) it(`${state}: ${name}`, () => assert.equal(stateWords(r, NOW), want));
  }

  it('covers every state of the transition table, and the two record-only states', () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...Object.keys(TRANSITIONS), 'ignored', 'resolved'].sort());
  });

  it('the words are plain: no state name with an underscore', () => {
    for (const rows of Object.values(CASES)) for (const [, r] of rows) assert.doesNotMatch(stateWords(r, NOW), /[a-z]_[a-z]/);
  });

  it('clockTime: the time of day in UTC, with the date only when it is not today', () => {
    assert.equal(clockTime(at('23:59:59'), NOW), '23:59:59 UTC');
    assert.equal(clockTime(Date.parse('2025-03-15T00:00:01Z'), NOW), '2025-03-15 00:00:01 UTC');
  });
});
