// Issue 25: a delivery's timestamps are RFC 3339 or refused 400 naming the field, through the real
// service (its webhook on an ephemeral port); the real Alertmanager deliveries still pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRfc3339 } from '../../src/execute/webhook';
import { configIn } from '../helpers/config';
import { amFixture } from '../helpers/fixtures';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { postHook, startWithReceiver } from '../helpers/receiver';

async function service() {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  return startWithReceiver(configIn(root, { receiver: { bearer_token: 'demo-token' }, recovery: { local: false } }));
}

describe('webhook timestamps: RFC 3339 or 400 naming the field', () => {
  it('bad startsAt / endsAt are refused, the field and the value named; nothing is recorded', async () => {
    const { url, receiver } = await service();
    const base = amFixture('webhook-firing').body;
    const alert0 = base.alerts[0];
    const cases: [string, Record<string, unknown>, string][] = [
      ['startsAt "1"', { startsAt: '1' }, 'alerts[0].startsAt: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got "1"'],
      [
        'startsAt a number',
        { startsAt: 1795953600 },
        'alerts[0].startsAt: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got number',
      ],
      [
        'startsAt missing',
        { startsAt: undefined },
        'alerts[0].startsAt: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got nothing',
      ],
      ['startsAt without an offset', { startsAt: '2026-11-29T12:00:00' }, 'got "2026-11-29T12:00:00"'],
      ['startsAt a date only', { startsAt: '2026-11-29' }, 'got "2026-11-29"'],
      ['startsAt on February 30', { startsAt: '2026-02-30T00:00:00Z' }, 'got "2026-02-30T00:00:00Z"'],
      ['startsAt in month 13', { startsAt: '2026-13-01T00:00:00Z' }, 'got "2026-13-01T00:00:00Z"'],
      ['startsAt at 24:00', { startsAt: '2026-11-29T24:00:00Z' }, 'got "2026-11-29T24:00:00Z"'],
      ['startsAt, RFC 2822', { startsAt: 'Sun, 29 Nov 2026 12:00:00 GMT' }, 'got "Sun, 29 Nov 2026 12:00:00 GMT"'],
      [
        'endsAt "yesterday"',
        { endsAt: 'yesterday' },
        'alerts[0].endsAt: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got "yesterday"',
      ],
      ['endsAt null', { endsAt: null }, 'alerts[0].endsAt: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got object'],
    ];
    for (const [name, patch, error] of cases) {
      const r = await postHook(url, { ...base, alerts: [{ ...alert0, ...patch }] }, 'Bearer demo-token');
      assert.equal(r.status, 400, name);
      assert.ok(String(r.body.error).includes(error), `${name}: ${String(r.body.error)}`);
    }
    // The second alert of a delivery is named by its index.
    const second = await postHook(url, { ...base, alerts: [alert0, { ...alert0, fingerprint: 'b2', startsAt: '1' }] }, 'Bearer demo-token');
    assert.equal(second.status, 400);
    assert.match(String(second.body.error), /^alerts\[1\]\.startsAt: /);
    assert.equal(receiver.store.history(10).length, 0);
  });

  it("Alertmanager's own deliveries pass: the zero time as endsAt, fractions, offsets, no endsAt at all", async () => {
    const { url, receiver } = await service();
    for (const name of ['webhook-firing', 'webhook-resolved'] as const) {
      const r = await postHook(url, amFixture(name).body, 'Bearer demo-token');
      assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    }
    const alert0 = amFixture('webhook-firing').body.alerts[0];
    const ok = [
      { startsAt: '2026-11-29T12:00:00.123456789Z', fingerprint: 'f1' },
      { startsAt: '2026-11-29T17:30:00+05:30', fingerprint: 'f2' },
      { startsAt: '2024-02-29T00:00:00Z', fingerprint: 'f3' },
      { startsAt: '2026-11-29t12:00:00z', fingerprint: 'f4' },
      { endsAt: undefined, fingerprint: 'f5' },
    ];
    const r = await postHook(
      url,
      { ...amFixture('webhook-firing').body, alerts: ok.map((p) => ({ ...alert0, ...p })) },
      'Bearer demo-token',
    );
    assert.deepEqual([r.status, r.body], [200, { received: 5, recorded: 5, deduplicated: 0 }]);
    assert.equal(receiver.store.history(10).length, 7);
  });

  it('isRfc3339, at the edges of the calendar', () => {
    const table: [string, boolean][] = [
      ['0001-01-01T00:00:00Z', true],
      ['2026-12-31T23:59:60Z', true], // a leap second, as RFC 3339 allows
      ['2023-02-29T00:00:00Z', false],
      ['2000-02-29T00:00:00Z', true],
      ['1900-02-29T00:00:00Z', false],
      ['2026-04-31T00:00:00Z', false],
      ['2026-11-29T12:00:00+24:00', false],
      ['2026-11-29T12:00:00.Z', false],
      ['2026-11-29 12:00:00Z', false],
      ['', false],
    ];
    for (const [s, want] of table) assert.equal(isRfc3339(s), want, s);
  });
});
