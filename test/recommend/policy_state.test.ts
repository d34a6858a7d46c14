import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyStateMachine } from '../../src/recommend/policy_state';

function machine(holdSec = 60, initial: 'allow_all' | 'no_new_trades' = 'allow_all') {
  let now = 1_000_000;
  const m = new PolicyStateMachine(holdSec * 1000, () => now, initial);
  return { m, advance: (sec: number) => (now += sec * 1000), at: () => now };
}

describe('served policy state machine', () => {
  it('escalates immediately', () => {
    const { m } = machine();
    const c = m.update('defensive_exit', ['data_feed critical']);
    assert.deepEqual([c?.from, c?.to], ['allow_all', 'defensive_exit']);
    assert.equal(m.policy, 'defensive_exit');
  });

  it('de-escalates only after the lower policy held for the hold-down (59 s no, 60 s yes)', () => {
    const { m, advance } = machine(60);
    m.update('no_new_trades', []);
    assert.equal(m.update('allow_all', []), null);
    advance(59);
    assert.equal(m.update('allow_all', []), null);
    assert.equal(m.policy, 'no_new_trades');
    advance(1);
    assert.equal(m.update('allow_all', [])?.to, 'allow_all');
  });

  it('a relapse during the hold-down restarts it (no flapping)', () => {
    const { m, advance } = machine(60);
    m.update('no_new_trades', []);
    m.update('allow_all', []);
    advance(50);
    m.update('no_new_trades', []); // back up: hold-down resets
    advance(20);
    assert.equal(m.update('allow_all', []), null);
    assert.equal(m.policy, 'no_new_trades');
  });

  it('steps down only to the strictest policy seen during the hold-down', () => {
    const { m, advance } = machine(60);
    m.update('defensive_exit', []);
    m.update('allow_all', []);
    advance(30);
    m.update('safe_risk_profile', []);
    advance(30);
    assert.equal(m.update('allow_all', [])?.to, 'safe_risk_profile');
  });

  it('announces when a pending de-escalation is due', () => {
    const { m, at } = machine(60);
    m.update('no_new_trades', []);
    assert.equal(m.nextWakeAt(), null);
    m.update('allow_all', []);
    assert.equal(m.nextWakeAt(), at() + 60_000);
  });

  it('emergency_shutdown latches until an operator reset', () => {
    const { m, advance } = machine(10);
    m.update('emergency_shutdown', ['event_executor failed']);
    assert.ok(m.isLatched);
    m.update('allow_all', []);
    advance(3600);
    assert.equal(m.update('allow_all', []), null);
    assert.equal(m.policy, 'emergency_shutdown');
    assert.ok(m.reasons().some((r) => r.includes('latched')));
    const c = m.reset('executor restarted by ops');
    assert.equal(c?.to, 'allow_all');
    assert.ok(c?.reasons[0].includes('executor restarted by ops'));
    assert.equal(m.isLatched, false);
  });

  it('reset while the cause persists re-latches at once', () => {
    const { m } = machine();
    m.update('emergency_shutdown', []);
    m.reset('try');
    assert.equal(m.policy, 'emergency_shutdown');
  });

  it('floors and overrides only make it stricter, and expire', () => {
    const { m, advance } = machine(0);
    m.update('defensive_exit', []);
    assert.equal(m.setFloor('override', 'safe_risk_profile', 'ops'), null);
    assert.equal(m.policy, 'defensive_exit');
    m.update('allow_all', []);
    assert.equal(m.policy, 'safe_risk_profile'); // hold-down 0: steps down, but not below the floor
    m.setFloor('override', 'no_new_trades', 'override by operator: maintenance', 1_000_000 + 30_000);
    assert.equal(m.policy, 'no_new_trades');
    assert.ok(m.reasons().includes('override by operator: maintenance'));
    advance(31);
    assert.equal(m.step()?.to, 'allow_all');
  });

  it('a recovery floor holds until cleared', () => {
    const { m } = machine(0);
    m.setFloor('pause:data_feed', 'no_new_trades', 'pause_trading for data_feed');
    m.update('allow_all', []);
    assert.equal(m.policy, 'no_new_trades');
    assert.equal(m.clearFloor('pause:data_feed')?.to, 'allow_all');
  });
});
