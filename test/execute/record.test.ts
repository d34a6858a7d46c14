// The action record's state machine: the table is closed and reachable, the one transition function
// refuses what the table does not allow, and no code changes a record's state any other way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import type { ActionRecord, ActionState } from '../../src/execute/journal';
import { allowed, IllegalTransition, INITIAL, isTerminal, OUTCOME, Records, StaleRecord, TRANSITIONS } from '../../src/execute/record';

/** The moves a restart of selfheal makes on a record it found running. */
const CRASH_MOVES = new Set(['running → recorded', 'running → pending_approval']);

const STATES = Object.keys(TRANSITIONS) as ActionState[];

/** A journal of one record in state `held`: a compare-and-set from any other state changes nothing. */
function fakeStore(held?: ActionState) {
  const updates: { id: string; patch: Partial<ActionRecord>; from?: string }[] = [];
  const update = (id: string, patch: Partial<ActionRecord>, from?: string) => {
    if (held !== undefined && from !== held) return false;
    updates.push({ id, patch, from });
    return true;
  };
  return { updates, update, get: () => null };
}

const rec = (state: ActionState, over: Partial<ActionRecord> = {}): ActionRecord =>
  ({
    id: 'r1',
    state,
    reason: 'decided',
    action: 'restart_subsystem',
    subsystem: 'event_executor',
    started_at: null,
    ...over,
  }) as ActionRecord;

describe('the transition table', () => {
  it('every state is reachable from a state a record is created in', () => {
    const seen = new Set<ActionState>(INITIAL);
    for (let grew = true; grew;) {
      grew = false;
      for (const s of [...seen])
        for (const t of TRANSITIONS[s])
          if (!seen.has(t)) {
            seen.add(t);
            grew = true;
          }
    }
    assert.deepEqual([...seen].sort(), [...STATES].sort());
  });

  it('terminal states have no exits, and each ends with an outcome label', () => {
    for (const s of ['succeeded', 'failed', 'rejected', 'expired', 'cancelled', 'dry_run'] as const) {
      assert.equal(isTerminal(s), true, s);
      assert.deepEqual(TRANSITIONS[s], [], s);
      assert.ok(OUTCOME[s], `${s} has an outcome`);
    }
    for (const s of ['recorded', 'pending_approval', 'running', 'verifying'] as const) assert.equal(isTerminal(s), false, s);
  });

  it('no state moves to itself', () => {
    for (const s of STATES) assert.equal(allowed(s, s), false, s);
  });
});

describe('Records.transition', () => {
  for (const from of STATES)
    for (const to of STATES) {
      const ok = allowed(from, to);
      it(`${from} → ${to}: ${ok ? 'moves' : 'refused'}`, () => {
        const store = fakeStore();
        const outcomes: string[] = [];
        const records = new Records(store, () => 5_000, { outcome: (_a, _s, o) => void outcomes.push(o) });
        const r = rec(from, { started_at: 1_000 });
        if (!ok) {
          assert.throws(() => records.transition(r, to, 'why'), IllegalTransition);
          assert.equal(store.updates.length, 0, 'nothing written');
          return;
        }
        const next = records.transition(r, to, 'why');
        assert.equal(store.updates.length, 1, 'one journal write');
        assert.equal(store.updates[0].patch.state, to);
        assert.equal(next.reason, 'decided; why', 'the reason is appended');
        assert.equal(next.updated_at, 5_000);
        if (to === 'running') assert.equal(next.started_at, 5_000);
        if (isTerminal(to)) {
          assert.equal(next.finished_at, 5_000);
          assert.deepEqual(outcomes, [OUTCOME[to]]);
        } else if (CRASH_MOVES.has(`${from} → ${to}`)) assert.deepEqual(outcomes, ['interrupted'], 'a crash move is an interruption');
        else assert.deepEqual(outcomes, [], 'running → verifying is the run going on, not an interruption');
        assert.equal(store.updates[0].from, from, 'written only while the record is still in the state the move starts from');
      });
    }

  it('a record another path moved meanwhile is not moved again: StaleRecord, nothing written, no outcome', () => {
    const store = fakeStore('cancelled');
    const outcomes: string[] = [];
    const records = new Records(store, () => 5_000, { outcome: (_a, _s, o) => void outcomes.push(o) });
    assert.throws(() => records.transition(rec('recorded'), 'running', 'why'), StaleRecord);
    assert.deepEqual([store.updates, outcomes], [[], []]);
  });
});

/** Every `.update(` call in src/ that sets `state` must be in record.ts (the one transition function). */
describe('every state change goes through transition()', () => {
  const SRC = resolve(__dirname, '../../../src');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  it('no store.update(…, { state: … }) outside execute/record.ts', () => {
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      const rel = relative(SRC, f);
      if (rel === 'execute/record.ts') continue;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\.update\(([^;]*?)\);/gs))
        if (/\bstate\s*:/.test(m[1])) offenders.push(`${rel}: ${m[0].slice(0, 80)}`);
    }
    assert.deepEqual(offenders, []);
  });

  it('the scan bites: it finds a state update written the old way', () => {
    const sample = "this.store.update(r.id, { state: 'failed', outcome: 'failure' });";
    assert.ok([...sample.matchAll(/\.update\(([^;]*?)\);/gs)].some((m) => /\bstate\s*:/.test(m[1])));
  });
});
