import assert from 'node:assert/strict';
import { basename, dirname, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ACTIONS, flagFile, type AutoFlags } from '../../src/recommend/actions';
import { recommend } from '../../src/recommend/recommendations';
import { RECOVERY_ACTIONS, SAFETY_POLICIES, type DetectedIssue, type RecoveryAction, type SafetyPolicy } from '../../src/types';
import { guideTable, guideText } from '../helpers/fixtures';

type AutoRule = 'always' | 'never' | keyof AutoFlags;

/** What each action does, row by row; the Record type makes a new action's missing row a compile error. */
const EXPECTED: Record<RecoveryAction, { auto: AutoRule; floor: SafetyPolicy | null; flag: string; recheck: boolean; retried: boolean }> = {
  restart_subsystem: { auto: 'auto_restart_enabled', floor: null, flag: 'data_feed_restart_requested.flag', recheck: true, retried: true },
  pause_trading: {
    auto: 'auto_pause_on_critical',
    floor: 'no_new_trades',
    flag: 'data_feed_pause_trading_requested.flag',
    recheck: false,
    retried: false,
  },
  switch_to_safe_profile: {
    auto: 'always',
    floor: 'safe_risk_profile',
    flag: 'data_feed_switch_to_safe_profile_requested.flag',
    recheck: false,
    retried: false,
  },
  disable_module: { auto: 'always', floor: null, flag: 'data_feed_disabled.flag', recheck: false, retried: false },
  fallback_to_backup: { auto: 'never', floor: null, flag: 'data_feed_fallback_to_backup_requested.flag', recheck: true, retried: false },
  close_all_positions: {
    auto: 'never',
    floor: 'emergency_shutdown',
    flag: 'data_feed_close_all_positions_requested.flag',
    recheck: false,
    retried: false,
  },
  no_new_trades: { auto: 'always', floor: 'no_new_trades', flag: 'data_feed_no_new_trades_requested.flag', recheck: false, retried: false },
  defensive_exit: {
    auto: 'never',
    floor: 'defensive_exit',
    flag: 'data_feed_defensive_exit_requested.flag',
    recheck: false,
    retried: false,
  },
  reload_config: { auto: 'never', floor: null, flag: 'data_feed_reload_config_requested.flag', recheck: true, retried: false },
  clear_cache: { auto: 'never', floor: null, flag: 'data_feed_clear_cache_requested.flag', recheck: true, retried: false },
};

const FLAG_SETS: AutoFlags[] = [false, true].flatMap((r) =>
  [false, true].map((p) => ({ auto_restart_enabled: r, auto_pause_on_critical: p })),
);
const ruleOf = (rule: AutoRule, f: AutoFlags): boolean => (rule === 'always' ? true : rule === 'never' ? false : f[rule]);

describe('the actions table: one complete entry per action', () => {
  it('has exactly the actions of RECOVERY_ACTIONS', () => {
    assert.deepEqual(Object.keys(ACTIONS).sort(), [...RECOVERY_ACTIONS].sort());
  });
  for (const a of RECOVERY_ACTIONS) {
    it(`${a}: meaning, auto rule, one default effect, verification`, () => {
      const e = ACTIONS[a];
      const want = EXPECTED[a];
      assert.ok(e.describe('data_feed').length > 0 && e.expected_result.length > 0, 'description and expected result');
      assert.ok(e.risks.length > 0 && e.risks.every((r) => r.length > 0), 'risks');
      for (const f of FLAG_SETS) assert.equal(e.auto(f), ruleOf(want.auto, f), `auto under ${JSON.stringify(f)}`);
      // The default effect is a floor or a flag file, never both and never neither.
      assert.notEqual(e.policy_floor === undefined, e.flag === undefined, 'exactly one of policy_floor and flag');
      if (e.policy_floor !== undefined) assert.ok(SAFETY_POLICIES.includes(e.policy_floor), 'a known policy');
      if (e.flag !== undefined) assert.match(e.flag, /^[a-z][a-z_]*$/, 'a plain flag name');
      assert.equal(e.policy_floor ?? null, want.floor, 'policy floor');
      assert.equal(flagFile(a, 'data_feed'), want.flag, 'flag file');
      assert.ok(e.verify === 'applied' || e.verify === 'recheck', 'verification');
      assert.equal(e.verify === 'recheck', want.recheck, 'verified by a re-check');
      assert.equal(e.retry_with_backoff === true, want.retried, 'retried with backoff');
    });
  }
});

describe('flagFile: a plain name in the data dir, for every action', () => {
  const dataDir = resolve('/var/lib/selfheal');
  const suffix = (a: RecoveryAction) => EXPECTED[a].flag.slice('data_feed_'.length);
  const names = ['data_feed', 'system', 'ai_model', 'a.b', 'a-b', 'x.y-z_1', '.', '..', ''];
  for (const a of RECOVERY_ACTIONS) {
    for (const s of names) {
      it(`${a} × "${s}" → "${s}_${suffix(a)}"`, () => {
        const name = flagFile(a, s);
        assert.equal(name, `${s}_${suffix(a)}`);
        assert.equal(basename(name), name);
        assert.equal(dirname(resolve(dataDir, name)), dataDir);
      });
    }
  }
  const hostile = ['../etc/passwd', 'a/b', '/abs', 'a\\b', '..\\up', 'nul\0byte'];
  for (const a of RECOVERY_ACTIONS) {
    it(`${a}: a name with a path separator is refused`, () => {
      for (const s of hostile) assert.throws(() => flagFile(a, s), RangeError, JSON.stringify(s));
    });
  }
});

/** The guide's "Example Recommendation" (its elided issue `{...}` made parseable). */
function exampleRecommendation(md: string): Record<string, unknown> {
  const at = md.indexOf('### Example Recommendation');
  const block = /```json\n([\s\S]*?)```/.exec(md.slice(at));
  assert.ok(at >= 0 && block, 'the guide has an example recommendation');
  return JSON.parse(block[1].replace('{...}', '{}')) as Record<string, unknown>;
}

describe("the guide's Action Descriptions & Risks", () => {
  const md = guideText();

  it('every row names one of our actions, with its expected result and risks', () => {
    const rows = guideTable(md, '### Action Descriptions & Risks');
    const example = exampleRecommendation(md);
    assert.ok(rows.length > 0);
    for (const [name, , expected, risks] of rows) {
      const a = name.replace(/`/g, '').toLowerCase() as RecoveryAction;
      assert.ok(RECOVERY_ACTIONS.includes(a), `${name} is one of ours`);
      // Where the guide's example recommendation speaks for an action, it is what the guide emits.
      const want = example.action === a ? example.expected_result : expected;
      assert.equal(ACTIONS[a].expected_result, want, `${a} expected result`);
      assert.deepEqual(ACTIONS[a].risks, risks.split(', '), `${a} risks`);
    }
    assert.equal(new Set(rows.map((r) => r[0])).size, rows.length, 'no action twice');
  });

  it('the example recommendation comes out of recommend() as the guide prints it', () => {
    const example = exampleRecommendation(md);
    const issue: DetectedIssue = {
      issue_id: 'ai_model_20251123_013456',
      subsystem: 'ai_model',
      severity: 'critical',
      timestamp: '2025-11-23T01:34:56Z',
      description: '',
      symptoms: [],
      root_cause: null,
      impacts_trading: false,
      affects_subsystems: [],
    };
    const [rec] = recommend([issue], { auto_restart_enabled: true, auto_pause_on_critical: true });
    // The guide elides the issue; the rest is compared field for field.
    assert.deepEqual({ ...rec, issue: {} }, example);
  });
});
