// Floors as the served policy sees them: lifting many is one change, and a lifted one stays lifted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Floors, type FloorRecord } from '../../src/execute/floors';
import { silentLogger } from '../../src/log/logger';

const rec = (i: number, over: Partial<FloorRecord> = {}): FloorRecord =>
  ({
    id: `r${i}`,
    fingerprint: `f${i}`,
    starts_at: '2026-11-29T12:00:00Z',
    action: 'pause_trading',
    subsystem: 'data_feed',
    alertname: 'A',
    floor_cleared_at: null,
    ...over,
  }) as FloorRecord;

function setup() {
  const changes: { set: number; clear: number }[] = [];
  const pipeline = { changeFloors: (set: unknown[], clear: unknown[]) => void changes.push({ set: set.length, clear: clear.length }) };
  const store = { get: () => null, firingOf: () => [], update: () => true };
  return { floors: new Floors(pipeline as never, store, () => 0, silentLogger()), changes };
}

describe('Floors', () => {
  it('lifting every floor is one change of the served policy, however many there are', () => {
    const { floors, changes } = setup();
    for (let i = 0; i < 50; i++) floors.impose(rec(i));
    assert.equal(changes.length, 50, 'each alert imposed on its own');
    assert.equal(floors.clear(null, 'desk').length, 50);
    assert.deepEqual(changes.slice(50), [{ set: 0, clear: 50 }]);
    assert.deepEqual(floors.list(), []);
  });

  // [what comes after an operator lifted the floor of f1, whether the floor is back]
  const cases: [string, (f: Floors) => void, boolean][] = [
    ['its record again (a deferred handler runs)', (f) => f.impose(rec(1)), false],
    ['a record that says it was lifted (after a restart)', (f) => f.impose(rec(1, { floor_cleared_at: 5 })), false],
    ['an approval', (f) => f.reinstate(rec(1)), true],
    ['its alert resolved, then fired again with the same startsAt', (f) => (f.lift(rec(1)), f.impose(rec(1))), true],
    ['another alert instance', (f) => f.impose(rec(2)), false],
  ];
  for (const [what, then, back] of cases)
    it(`a lifted floor, then ${what}: ${back ? 'back' : 'stays lifted'}`, () => {
      const { floors } = setup();
      floors.impose(rec(1));
      floors.clear('r1', 'desk');
      then(floors);
      assert.equal(
        floors.list().some((x) => x.id === 'r1'),
        back,
      );
    });
});
