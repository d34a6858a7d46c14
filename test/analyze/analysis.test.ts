// ANALYZE: issues from health, the overall status, escalation over check history — and that
// escalation never loosens the policy the report serves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_HISTORY, escalate, isTransientError, recordCheck, retrySpacingMs, type CheckHistory } from '../../src/analyze/escalation';
import { idStamp, resourceIssues, severityForStatus, subsystemIssue } from '../../src/analyze/issues';
import { overallStatus, summarize } from '../../src/analyze/overall';
import { evaluateSafetyPolicy } from '../../src/recommend/policy';
import { policyLevel, type HealthStatus, type IssueSeverity, type TradingCriticality } from '../../src/types';
import { NOW } from '../helpers/fs';
import { buildReport } from '../../src/engine/report';
import { defaultConfig } from '../../src/config/load';
import { HEALTH_STATUSES } from '../../src/types';

const health = (subsystem: string, status: HealthStatus) => ({
  subsystem,
  status,
  timestamp: new Date(NOW).toISOString(),
  response_time_ms: 1,
  error_count: 0,
  details: {},
});

describe('issue severity from status', () => {
  const table: [HealthStatus, IssueSeverity | null][] = [
    ['critical', 'critical'],
    ['failed', 'high'],
    ['degraded', 'medium'],
    ['healthy', null],
    ['unknown', null],
  ];
  for (const [status, sev] of table) it(`${status} → ${sev}`, () => assert.equal(severityForStatus(status), sev));
});

describe('impacts_trading', () => {
  const table: [string, TradingCriticality, HealthStatus, boolean][] = [
    ['data_feed', 'yes', 'critical', true],
    ['data_feed', 'yes', 'failed', true],
    ['data_feed', 'yes', 'degraded', false],
    ['risk_guard', 'yes', 'critical', true],
    ['ai_model', 'partial', 'critical', false],
    ['logging', 'no', 'critical', false],
  ];
  for (const [sub, crit, status, want] of table) {
    it(`${sub} (${crit}) ${status} → ${want}`, () => {
      const issue = subsystemIssue({ health: health(sub, status), criticality: crit, dependents: [] }, NOW)!;
      assert.equal(issue.impacts_trading, want);
    });
  }
  it('the guide example: ai_model critical affects event_executor and model_supervisor', () => {
    const issue = subsystemIssue(
      {
        health: health('ai_model', 'critical'),
        criticality: 'partial',
        dependents: ['event_executor', 'model_supervisor'],
        root_cause: 'Missing model files',
      },
      NOW,
    )!;
    assert.equal(issue.issue_id, 'ai_model_20261129_120000');
    assert.equal(issue.description, 'ai_model is critical');
    assert.deepEqual(issue.affects_subsystems, ['event_executor', 'model_supervisor']);
    assert.equal(issue.root_cause, 'Missing model files');
    assert.equal(issue.symptoms[0], 'Status: critical');
  });
  it('healthy and unknown raise no issue', () => {
    assert.equal(subsystemIssue({ health: health('x', 'healthy'), criticality: 'yes', dependents: [] }, NOW), null);
    assert.equal(subsystemIssue({ health: health('x', 'unknown'), criticality: 'yes', dependents: [] }, NOW), null);
  });
  it('idStamp is UTC', () => assert.equal(idStamp(Date.UTC(2025, 10, 23, 1, 34, 56)), '20251123_013456'));
});

describe('resource issues', () => {
  const limits = { max_cpu_percent: 90, max_memory_percent: 85 };
  const table: [number, number, string[]][] = [
    [0.9, 0.85, []],
    [0.901, 0.85, ['CPU usage critically high: 90.1%']],
    [0.5, 0.851, ['Memory usage critically high: 85.1%']],
    [0.95, 0.913, ['CPU usage critically high: 95.0%', 'Memory usage critically high: 91.3%']],
  ];
  for (const [cpu, mem, want] of table) {
    it(`cpu ${cpu} mem ${mem} → ${want.length} issue(s)`, () => {
      const issues = resourceIssues({ cpu_ratio: cpu, memory_ratio: mem, open_connections: 1 }, limits, ['a', 'b'], NOW);
      assert.deepEqual(
        issues.map((i) => i.description),
        want,
      );
      for (const i of issues) {
        assert.equal(i.severity, 'high');
        assert.equal(i.impacts_trading, true);
        assert.deepEqual(i.affects_subsystems, ['a', 'b']);
      }
    });
  }
  it('unmeasured resources raise nothing', () => {
    assert.deepEqual(resourceIssues({ cpu_ratio: null, memory_ratio: null, open_connections: null }, limits, [], NOW), []);
  });
});

describe('overall status', () => {
  const table: [string, [HealthStatus, TradingCriticality][], HealthStatus][] = [
    [
      'all healthy',
      [
        ['healthy', 'yes'],
        ['healthy', 'no'],
      ],
      'healthy',
    ],
    [
      'unknown counts as degraded',
      [
        ['healthy', 'yes'],
        ['unknown', 'partial'],
      ],
      'degraded',
    ],
    [
      'worst wins',
      [
        ['degraded', 'yes'],
        ['critical', 'partial'],
      ],
      'critical',
    ],
    ['failed trading-critical → failed', [['failed', 'yes']], 'failed'],
    ['failed partial capped at critical', [['failed', 'partial']], 'critical'],
    ['critical non-critical capped at degraded', [['critical', 'no']], 'degraded'],
    [
      'failed non-critical capped at degraded',
      [
        ['failed', 'no'],
        ['healthy', 'yes'],
      ],
      'degraded',
    ],
    ['no subsystems → unknown', [], 'unknown'],
  ];
  for (const [name, subs, want] of table) {
    it(`${name} → ${want}`, () => assert.equal(overallStatus(subs.map(([status, criticality]) => ({ status, criticality }))), want));
  }
  it('summary counts the four statuses and leaves unknown out', () => {
    assert.deepEqual(summarize([health('a', 'healthy'), health('b', 'unknown'), health('c', 'failed'), health('d', 'degraded')]), {
      healthy: 1,
      degraded: 1,
      critical: 0,
      failed: 1,
    });
  });
});

describe('escalation over check history', () => {
  const limits = { max_consecutive_failures: 3, max_error_rate: 0.2, error_rate_window: 10 };
  const SPACING = 1000;
  /** Checks one spacing apart: true where the check errored. */
  const run = (seq: boolean[], spacing = SPACING): CheckHistory =>
    seq.reduce((h, e, i) => recordCheck(h, e, limits.error_rate_window, i * spacing, SPACING), EMPTY_HISTORY);
  it('critical never becomes failed by counting checks (only exhausted recovery escalates)', () => {
    for (const n of [1, 3, 10, 100]) assert.equal(escalate('critical', run(Array(n).fill(false)), limits).status, 'critical');
  });
  it('critical with exhausted recovery is failed, with the reason', () => {
    const e = escalate('critical', EMPTY_HISTORY, limits, '3 restart_subsystem attempts in a row verified as failed');
    assert.deepEqual(e, { status: 'failed', reason: 'recovery exhausted: 3 restart_subsystem attempts in a row verified as failed' });
  });
  it('exhausted recovery escalates only critical', () => {
    for (const s of HEALTH_STATUSES.filter((x) => x !== 'critical')) assert.equal(escalate(s, EMPTY_HISTORY, limits, 'x').status, s);
  });
  it('errors are transient below max_consecutive_failures, and stand at it (table)', () => {
    const table: [boolean[], number, boolean][] = [
      [[true], 1, true],
      [[true, true], 2, true],
      [[true, true, true], 3, false],
      [[true, true, false, true], 1, true],
      [[false, false], 0, true],
    ];
    for (const [seq, n, transient] of table) {
      const h = run(seq);
      assert.equal(h.consecutive_errors, n, JSON.stringify(seq));
      if (seq[seq.length - 1]) assert.equal(isTransientError(h, limits), transient, JSON.stringify(seq));
    }
  });
  it('errors closer than half the retry spacing count once (force-checks during one blip)', () => {
    const h = run([true, true, true, true], SPACING / 8);
    assert.equal(h.consecutive_errors, 1);
    assert.equal(run([true, true, true], SPACING / 2).consecutive_errors, 3);
  });
  it('retries fit max_consecutive_failures attempts well within one interval', () => {
    assert.equal(retrySpacingMs(5000, 3), 1666);
    assert.ok(retrySpacingMs(5000, 3) * 2 < 5000);
    assert.equal(retrySpacingMs(2000, 1), 2000);
  });
  it('error rate 2/10 (= max) stays healthy', () => {
    const h = { ...EMPTY_HISTORY, recent_errors: [...Array(8).fill(false), true, true] };
    assert.equal(escalate('healthy', h, limits).status, 'healthy');
  });
  it('error rate 3/10 (> max) is at least degraded', () => {
    const h = { ...EMPTY_HISTORY, recent_errors: [...Array(7).fill(false), true, true, true] };
    assert.equal(escalate('healthy', h, limits).status, 'degraded');
  });
  it('errors slide out of the window; a clean full window is then kept as it is', () => {
    const h = run([true, true, ...Array(10).fill(false)]);
    assert.deepEqual(h, { consecutive_errors: 0, last_error_at: null, recent_errors: Array(10).fill(false) });
    assert.equal(escalate('healthy', h, limits).status, 'healthy');
    assert.equal(recordCheck(h, false, limits.error_rate_window, 0, SPACING), h);
    assert.deepEqual(recordCheck(h, true, limits.error_rate_window, 0, SPACING).recent_errors, [...Array(9).fill(false), true]);
  });
});

describe('escalation never loosens the policy', () => {
  const config = defaultConfig({});
  const subs = config.subsystems.filter((s) => s.enabled);
  const policyWith = (statuses: Record<string, HealthStatus>) =>
    buildReport(
      config,
      subs.map((sub) => ({
        sub,
        health: {
          subsystem: sub.name,
          status: statuses[sub.name] ?? 'healthy',
          timestamp: '',
          response_time_ms: 0,
          error_count: 0,
          details: {},
        },
      })),
      { cpu_ratio: null, memory_ratio: null, open_connections: null },
      NOW,
    ).current_safety_policy;
  // Backgrounds: everything else healthy, one other trading-critical subsystem degraded, one partial critical.
  const backgrounds: Record<string, HealthStatus>[] = [
    {},
    { data_feed: 'degraded' },
    { orchestrator: 'critical' },
    { logging: 'critical', ai_model: 'degraded' },
  ];
  it('for every subsystem × status × background: failed is at least as strict as any status it escalates from', () => {
    let cases = 0;
    for (const bg of backgrounds) {
      for (const sub of subs) {
        const failed = policyWith({ ...bg, [sub.name]: 'failed' });
        for (const before of HEALTH_STATUSES) {
          const was = policyWith({ ...bg, [sub.name]: before });
          assert.ok(
            policyLevel(failed) >= policyLevel(was),
            `${sub.name}: ${before} (${was}) → failed (${failed}) with ${JSON.stringify(bg)}`,
          );
          cases++;
        }
      }
    }
    assert.equal(cases, backgrounds.length * subs.length * HEALTH_STATUSES.length);
  });
  it('a failed partially critical subsystem keeps no_new_trades (the guide alone would say safe_risk_profile)', () => {
    assert.equal(evaluateSafetyPolicy('critical', [{ severity: 'high', impacts_trading: false }]), 'safe_risk_profile');
    assert.equal(policyWith({ ai_model: 'critical' }), 'no_new_trades');
    assert.equal(policyWith({ ai_model: 'failed' }), 'no_new_trades');
  });
  it('a failed trading-critical subsystem is emergency_shutdown', () => {
    for (const s of subs.filter((x) => x.criticality === 'yes')) assert.equal(policyWith({ [s.name]: 'failed' }), 'emergency_shutdown');
  });
});
