import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { PolicyClient } from '../../src/client';
import { ConfigError } from '../../src/config/load';
import { CLOSE_POSITIONS, POLICY_DIRECTIVES, directivesFor, failClosedDirectives, type DirectiveRow } from '../../src/recommend/directives';
import { policyView, type PolicyView } from '../../src/policy_view';
import { SAFETY_POLICIES, type SafetyPolicy } from '../../src/types';
import { configIn } from '../helpers/config';
import { tempDir } from '../helpers/fs';
import { healthyPlatform } from '../helpers/platform';
import { getJson, post, startService } from '../helpers/service';
import { openSse } from '../helpers/sse';

type Row = Pick<DirectiveRow, 'open_positions' | 'increase_positions' | 'reduce_positions' | 'adjust_stops' | 'close_positions'>;
const row = (open: boolean, increase: boolean, close: Row['close_positions']): Row => ({
  open_positions: open,
  increase_positions: increase,
  reduce_positions: true,
  adjust_stops: true,
  close_positions: close,
});

/** Issue 17's table, written out: the spec the code's one table must match. */
const ISSUE_TABLE: Record<SafetyPolicy, Row> = {
  allow_all: row(true, true, 'none'),
  safe_risk_profile: row(true, true, 'none'),
  no_new_trades: row(false, false, 'none'),
  defensive_exit: row(false, false, 'high_risk'),
  emergency_shutdown: row(false, false, 'all'),
};

/** The fail-closed answer after each last-known policy (null: never heard): no_new_trades's row or stricter. */
const FAIL_CLOSED_ROWS: [SafetyPolicy | null, SafetyPolicy][] = [
  [null, 'no_new_trades'],
  ['allow_all', 'no_new_trades'],
  ['safe_risk_profile', 'no_new_trades'],
  ['no_new_trades', 'no_new_trades'],
  ['defensive_exit', 'defensive_exit'],
  ['emergency_shutdown', 'emergency_shutdown'],
];

const five = (d: DirectiveRow): Row => ({
  open_positions: d.open_positions,
  increase_positions: d.increase_positions,
  reduce_positions: d.reduce_positions,
  adjust_stops: d.adjust_stops,
  close_positions: d.close_positions,
});

// @ts-expect-error reduce_positions is the literal `true`: a row saying false does not compile.
const cannotSayFalse: DirectiveRow = { ...POLICY_DIRECTIVES.allow_all, reduce_positions: false };
void cannotSayFalse;

function platform(extra: Record<string, unknown> = {}) {
  const root = tempDir();
  healthyPlatform(root, Date.now());
  return configIn(root, { policy: { hold_down_sec: 0, valid_for_sec: 60 }, api: { token: 'op' }, ...extra });
}

describe("directives: the guide's Policy Effects", () => {
  it("the one table matches the issue's, row by row, for every policy", () => {
    assert.deepEqual(Object.keys(POLICY_DIRECTIVES).sort(), [...SAFETY_POLICIES].sort());
    for (const p of SAFETY_POLICIES) {
      assert.deepEqual(five(POLICY_DIRECTIVES[p]), ISSUE_TABLE[p], p);
      assert.equal(POLICY_DIRECTIVES[p].tighten_stops, p === 'safe_risk_profile', `${p} tighten_stops`);
      assert.ok(CLOSE_POSITIONS.includes(POLICY_DIRECTIVES[p].close_positions));
    }
  });

  it('every policy view carries its row, the limits, high_risk and manual_intervention_required', () => {
    const cfg = platform().policy;
    const limits: Record<SafetyPolicy, [number | null, number]> = {
      allow_all: [null, 1],
      safe_risk_profile: [5, 0.5],
      no_new_trades: [0, 0],
      defensive_exit: [0, 0],
      emergency_shutdown: [0, 0],
    };
    for (const p of SAFETY_POLICIES) {
      for (const latched of [false, true]) {
        const v = policyView(p, true, [], Date.now(), cfg, latched);
        assert.deepEqual(five(v.directives), ISSUE_TABLE[p], p);
        assert.deepEqual(v.directives, directivesFor(p, cfg));
        assert.deepEqual([v.directives.max_leverage, v.directives.position_size_multiplier], limits[p], p);
        assert.deepEqual([v.max_leverage, v.position_size_multiplier], limits[p], p);
        assert.equal(v.new_positions_allowed, v.directives.open_positions);
        assert.deepEqual(v.high_risk, { max_leverage: 5, tags: ['high_risk'] });
        assert.equal(v.manual_intervention_required, latched && p === 'emergency_shutdown', `${p} latched=${latched}`);
      }
    }
  });

  it("fail-closed rows: no_new_trades's row or the stricter last-known, zero limits, exits allowed", () => {
    for (const [last, as] of FAIL_CLOSED_ROWS) {
      const d = failClosedDirectives(last);
      assert.deepEqual(five(d), ISSUE_TABLE[as], `after ${last}`);
      assert.deepEqual([d.max_leverage, d.position_size_multiplier, d.open_positions, d.reduce_positions], [0, 0, false, true]);
    }
  });

  it("policy.high_risk: defaults to the safe profile's leverage, configurable, bad values name the key", () => {
    assert.deepEqual(platform({ policy: { safe_profile: { max_leverage: 3 } } }).policy.high_risk, {
      max_leverage: 3,
      tags: ['high_risk'],
    });
    assert.deepEqual(platform({ policy: { high_risk: { max_leverage: null, tags: ['meme', 'illiquid'] } } }).policy.high_risk, {
      max_leverage: null,
      tags: ['meme', 'illiquid'],
    });
    assert.equal(platform().policy.normal.max_leverage, null, 'no cap is null, not NaN');
    assert.throws(
      () => platform({ policy: { high_risk: { max_leverage: 0 } } }),
      (e: Error) => e instanceof ConfigError && /^policy\.high_risk\.max_leverage: must be greater than 0/.test(e.message),
    );
    assert.throws(
      () => platform({ policy: { high_risk: { tags: 'x' } } }),
      /^ConfigError: policy\.high_risk\.tags: expected a list of strings/,
    );
    assert.throws(() => platform({ policy: { high_risk: { levrage: 2 } } }), /policy\.high_risk\.levrage: unknown key/);
  });
});

describe('reduce_positions is never false', () => {
  it('over every policy × latched × trading flag × fresh, stale, never-heard and unreachable client', async () => {
    for (const p of SAFETY_POLICIES) {
      for (const latched of [false, true]) {
        for (const cont of [false, true])
          assert.equal(policyView(p, cont, [], 0, platform().policy, latched).directives.reduce_positions, true);
      }
    }
    const config = platform();
    const { url, stop } = await startService(config);
    let now = Date.now();
    const client = new PolicyClient({ baseUrl: url, clock: () => now });
    for (const p of SAFETY_POLICIES) {
      if (p !== 'allow_all')
        await post(`${url}/policy/override`, { policy: p, duration_sec: 600, reason: 'sweep' }, { authorization: 'Bearer op' });
      now = Date.now();
      const fresh = await client.refresh();
      assert.equal(fresh.policy, p);
      assert.deepEqual(fresh.directives, directivesFor(p, config.policy));
      assert.equal(fresh.manual_intervention_required, p === 'emergency_shutdown', 'override to emergency_shutdown latches');
      assert.deepEqual([client.canReduce(), client.directives().reduce_positions], [true, true], `fresh ${p}`);
      now = Date.parse(fresh.valid_until) + 1;
      assert.deepEqual(
        [client.canReduce(), client.directives().reduce_positions, client.canOpenPosition(), client.canIncrease()],
        [true, true, false, false],
        `stale ${p}`,
      );
    }
    await stop();
    const gone = new PolicyClient({ baseUrl: url });
    await assert.rejects(gone.refresh());
    assert.deepEqual(
      [gone.canReduce(), gone.directives().reduce_positions, gone.mustClose(), gone.canOpenPosition()],
      [true, true, 'none', false],
    );
  });

  it('the client obeys exits even when a service says otherwise, and derives directives from an older service', async () => {
    let body: Record<string, unknown> = {};
    const srv = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const client = new PolicyClient({ baseUrl: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` });
      const base = policyView('defensive_exit', false, [], Date.now(), platform().policy);
      body = { ...base, directives: { ...base.directives, reduce_positions: false } };
      await client.refresh();
      assert.deepEqual([client.canReduce(), client.directives().reduce_positions, client.mustClose()], [true, true, 'high_risk']);
      const { directives: _d, high_risk: _h, manual_intervention_required: _m, ...older } = base as Partial<PolicyView>;
      body = older;
      await client.refresh();
      assert.deepEqual(five(client.directives()), ISSUE_TABLE.defensive_exit);
      assert.equal(client.directives().reduce_positions, true);
      body = { ...base, policy: 'yolo' };
      const errors: Error[] = [];
      client.on('error', (e: Error) => errors.push(e));
      await client.refresh();
      assert.match(errors[0]?.message ?? '', /does not know: "yolo"/);
      assert.equal(client.current().policy, 'defensive_exit', 'an unknown policy is refused, the last good one kept');
    } finally {
      srv.close();
    }
  });
});

describe('directives on the wire', () => {
  it('/policy, the SSE policy event and /health/system carry them; manual intervention while latched', async () => {
    const config = platform();
    const { url } = await startService(config);
    const op = { authorization: 'Bearer op' };
    const sse = await openSse(`${url}/policy/stream`);
    try {
      const first = await sse.next('policy');
      assert.deepEqual(first.directives, directivesFor('allow_all', config.policy));
      assert.deepEqual(first.high_risk, { max_leverage: 5, tags: ['high_risk'] });
      for (const p of ['safe_risk_profile', 'no_new_trades', 'defensive_exit', 'emergency_shutdown'] as const) {
        await post(`${url}/policy/override`, { policy: p, duration_sec: 600, reason: 'wire' }, op);
        const ev = await sse.next('policy');
        assert.equal(ev.policy, p);
        assert.deepEqual(ev.directives, directivesFor(p, config.policy), `SSE ${p}`);
        assert.equal(ev.manual_intervention_required, p === 'emergency_shutdown');
        assert.deepEqual((await getJson(`${url}/policy`)).body.directives, ev.directives, `/policy ${p}`);
        assert.deepEqual((await getJson(`${url}/health/system`)).body.directives, ev.directives, `/health/system ${p}`);
      }
      // Lifting the override does not release the latch: still emergency_shutdown, still manual.
      await getJson(`${url}/policy/override`, { method: 'DELETE', headers: op });
      const held = (await getJson(`${url}/policy`)).body;
      assert.deepEqual([held.policy, held.manual_intervention_required], ['emergency_shutdown', true]);
      await post(`${url}/policy/reset`, { reason: 'positions flat, checked' }, op);
      const released = await sse.next('policy');
      assert.deepEqual(
        [released.policy, released.manual_intervention_required, (released.directives as DirectiveRow).close_positions],
        ['allow_all', false, 'none'],
      );
    } finally {
      sse.close();
    }
  });
});
