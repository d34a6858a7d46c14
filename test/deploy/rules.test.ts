// The rules pack and Alertmanager config, checked by the real Prometheus tools and by our own lint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { alertmanagerRouteSnippet, dependencyMap, EXAMPLE } from '../../src/deploy/alertmanager';
import { generatedFiles, rulesConfigWith } from '../../src/deploy/generate';
import { SUSTAINED_FACTOR, ruleGroups, rulesFile, type Rule, type RuleGroup } from '../../src/deploy/rules';
import { DEFAULT_RULES_CONFIG, durationSeconds, withFor } from '../../src/deploy/rules_config';
import { promtoolTestFile } from '../../src/deploy/promtool_tests';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';
import { tempDir } from '../helpers/fs';

const ROOT = resolve(__dirname, '../../..');
const RULES = join(ROOT, 'rules/selfheal.rules.yml');
const AM = join(ROOT, 'deploy/alertmanager/alertmanager-0.25.yml');

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); \`npm test\` installs it via scripts/ensure-tools.js`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: RuleGroup[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);

describe('promtool', () => {
  it('check rules is clean', () => {
    const r = run('promtool', ['check', 'rules', RULES]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });
  it('test rules: every unit test passes', () => {
    const r = run('promtool', ['test', 'rules', 'selfheal.rules.test.yml'], join(ROOT, 'rules'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });
  it('every alert has a unit test', () => {
    const tests = readFileSync(join(ROOT, 'rules/selfheal.rules.test.yml'), 'utf8');
    for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a.alert}\\b`), `${a.alert} has no promtool test`);
  });
});

describe('rules lint (what pint would check)', () => {
  const runbooks = readFileSync(join(ROOT, 'docs/runbooks.md'), 'utf8');
  const anchors = new Set(
    [...runbooks.matchAll(/^## (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const a of alerts) {
    it(`${a.alert}: severity, summary, description, runbook`, () => {
      assert.ok(['critical', 'warning', 'info'].includes(a.labels?.severity ?? ''), 'severity');
      assert.ok(a.annotations?.summary, 'summary');
      assert.ok(a.annotations?.description, 'description');
      const url = a.annotations?.runbook_url ?? '';
      assert.match(url, /docs\/runbooks\.md#[a-z0-9-]+$/);
      assert.ok(anchors.has(url.split('#')[1]), `anchor ${url.split('#')[1]} missing from docs/runbooks.md`);
      if (a.alert !== 'SelfHealExporterAbsent' && a.alert !== 'SelfHealWatchdog') {
        assert.match(a.annotations!.description!, /\$labels\.instance/, 'description names the instance');
      }
    });
  }
  it('no duplicate alert names', () => {
    const names = alerts.map((a) => a.alert);
    assert.equal(new Set(names).size, names.length);
  });
  it('every aggregation keeps instance and job', () => {
    for (const r of rules) {
      for (const m of r.expr.matchAll(/\b(sum|max|min|avg|count) by \(([^)]*)\)/g)) {
        const by = m[2].split(',').map((s) => s.trim());
        assert.ok(by.includes('instance') && by.includes('job'), `${r.alert ?? r.record}: ${m[0]}`);
      }
    }
  });
  it('only the exporter-down alert selects by job', () => {
    for (const r of rules) if (/job=/.test(r.expr)) assert.equal(r.alert?.startsWith('SelfHealExporter'), true, r.alert ?? r.record);
  });
  it('recording rules are named level:metric:operations', () => {
    for (const r of rules.filter((x) => x.record)) assert.match(r.record!, /^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
  });
  it('recovery-driving alerts carry subsystem and issue_severity; the counter-derived ones never carry `action`', () => {
    for (const a of alerts) {
      const l = a.labels ?? {};
      if (l.issue_severity && l.issue_severity !== 'none') {
        assert.ok(['critical', 'high', 'medium', 'low'].includes(l.issue_severity), a.alert);
        assert.ok(l.subsystem || /selfheal_subsystem_(status|problem)\b/.test(a.expr), `${a.alert} needs a subsystem`);
      }
      if (/selfheal_recovery_(actions_total|circuit_open)/.test(a.expr)) {
        assert.equal(l.issue_severity, 'none', `${a.alert} must not trigger remediation`);
        assert.match(a.expr, /by \([^)]*recovery_action[^)]*\)/, `${a.alert} must drop the action label`);
      }
    }
  });
});

/** Where each alert runs: group name by alert name. */
const groupOf = (gs: { name: string; rules: Rule[] }[]) =>
  Object.fromEntries(gs.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => [r.alert!, g.name])));

/** An alert's time scale: the longer of its `for:` and the range of its expression. */
const scaleOf = (r: Rule) =>
  Math.max(0, ...[r.for, ...[...r.expr.matchAll(/\[(\w+)\]/g)].map((m) => m[1])].filter((d) => !!d).map((d) => durationSeconds(d!)));

const PROMQL_WORDS = new Set([
  'sum',
  'max',
  'min',
  'avg',
  'count',
  'label_replace',
  'absent',
  'increase',
  'vector',
  'time',
  'and',
  'or',
  'unless',
]);

/** The metric names an expression reads (strings, matchers, ranges and by/on clauses removed first). */
function metricsOf(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return (bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !PROMQL_WORDS.has(w));
}

describe('cadence: what a fleet pays for every evaluation', () => {
  it("metricsOf finds the metrics of the pack's shapes of expression", () => {
    assert.deepEqual(metricsOf('count by (job, instance) (selfheal_subsystem_problem{status="critical"}) >= 3'), [
      'selfheal_subsystem_problem',
    ]);
    assert.deepEqual(metricsOf('time() - selfheal_last_check_timestamp_seconds > 120'), ['selfheal_last_check_timestamp_seconds']);
    assert.deepEqual(metricsOf('increase(selfheal_internal_errors_total[5m]) > 0'), ['selfheal_internal_errors_total']);
    assert.deepEqual(
      metricsOf(
        'max by (job, instance, subsystem, recovery_action) (label_replace(selfheal_recovery_circuit_open, "recovery_action", "$1", "action", "(.*)")) == 1',
      ),
      ['selfheal_recovery_circuit_open'],
    );
    assert.deepEqual(metricsOf('up{job="selfheal"} == 0 or vector(1)'), ['up']);
  });

  it('durationSeconds reads Prometheus durations and refuses anything else', () => {
    const ok: [string, number][] = [
      ['90s', 90],
      ['5m', 300],
      ['1h30m', 5400],
      ['4h', 14400],
      ['500ms', 0.5],
      ['1d', 86400],
      ['1w', 604800],
    ];
    for (const [d, sec] of ok) assert.equal(durationSeconds(d), sec, d);
    for (const bad of ['', '5', '1.5m', '5M', 'soon', '5 m', '-1m', 'm5', '1m1h', '5m5m', '30s1m'])
      assert.throws(() => durationSeconds(bad), new RegExp(`^Error: not a Prometheus duration: ${JSON.stringify(bad)}$`), bad);
  });

  it('the sustained group runs every minute and holds exactly the alerts measured over 5 minutes or more', () => {
    const threshold = SUSTAINED_FACTOR * durationSeconds(DEFAULT_RULES_CONFIG.sustainedInterval);
    assert.equal(threshold, 300);
    const sustained = groups.find((g) => g.name === 'selfheal.sustained')!;
    assert.equal(sustained.interval, '1m');
    assert.equal(groups.find((g) => g.name === 'selfheal.recording')!.interval, '1m');
    for (const g of groups.filter((x) => x.name !== 'selfheal.sustained' && x.name !== 'selfheal.recording')) {
      assert.equal(g.interval, undefined, `${g.name} runs every evaluation`);
      for (const r of g.rules) assert.ok(scaleOf(r) < threshold, `${r.alert} (${scaleOf(r)} s) belongs in selfheal.sustained`);
    }
    for (const r of sustained.rules) assert.ok(scaleOf(r) >= threshold, `${r.alert} (${scaleOf(r)} s) should run every evaluation`);
    assert.deepEqual(sustained.rules.map((r) => r.alert).sort(), [
      'SelfHealCPUCritical',
      'SelfHealCPUHigh',
      'SelfHealExporterAbsent',
      'SelfHealForeignAlerts',
      'SelfHealInternalErrors',
      'SelfHealMaintenanceActive',
      'SelfHealMemoryCritical',
      'SelfHealMemoryHigh',
      'SelfHealOverallDegraded',
      'SelfHealRecoveryActionExecuted',
      'SelfHealRecoveryActionFailed',
      'SelfHealRecoveryApprovalPending',
      'SelfHealSafetyPolicyChanged',
      'SelfHealSubsystemDegraded',
    ]);
  });

  it('the groups run every evaluation read only liveness and series that exist while something is wrong', () => {
    // A dense series (one per instance, always there) in these groups costs every instance, every 15 s: at
    // 1,000 instances each such rule is ~10 ms of a 150 ms budget (BENCHMARKS.md, Fleet). Put it in a sustained
    // form (a `for:` or window of 5m or more) or have the exporter serve a sparse series for it.
    const allowed = new Set([
      'up', // ExporterDown: liveness needs every instance
      'selfheal_last_check_timestamp_seconds', // ChecksStalled: likewise
      'selfheal_overall_problem',
      'selfheal_subsystem_problem',
      'selfheal_safety_policy_restricted',
      'selfheal_subsystem_flapping', // present only while a subsystem flaps
      'selfheal_recovery_circuit_open', // present only once a breaker has tripped
      'selfheal_recovery_journal_problem', // present only while the journal cannot record
    ]);
    const dense = (gs: RuleGroup[]) =>
      gs
        .filter((g) => !g.interval)
        .flatMap((g) =>
          g.rules.flatMap((r) =>
            metricsOf(r.expr)
              .filter((m) => !allowed.has(m))
              .map((m) => `${r.alert} reads ${m}`),
          ),
        );
    assert.deepEqual(dense(groups), []);
    // The guard bites: a CPU alert with a 1m `for:` runs every evaluation and reads every instance's CPU.
    assert.deepEqual(dense(ruleGroups(rulesConfigWith({ for: { cpuHigh: '1m' } }))), ['SelfHealCPUHigh reads selfheal_cpu_usage_ratio']);
  });

  it('the cadence follows the config: a shorter `for:` runs every evaluation, a longer interval keeps fewer alerts slow', () => {
    const quick = groupOf(ruleGroups(rulesConfigWith({ for: { cpuHigh: '1m' } })));
    assert.equal(quick.SelfHealCPUHigh, 'selfheal.warning');
    assert.equal(quick.SelfHealCPUCritical, 'selfheal.sustained');
    const slow = ruleGroups(rulesConfigWith({ sustainedInterval: '2m' }));
    const at = groupOf(slow);
    assert.equal(at.SelfHealCPUCritical, 'selfheal.critical', '5m < 10m: every evaluation');
    assert.equal(at.SelfHealRecoveryApprovalPending, 'selfheal.sustained', '15m >= 10m');
    assert.equal(at.SelfHealForeignAlerts, 'selfheal.sustained', 'its 15m window');
    assert.deepEqual(
      slow.filter((g) => g.interval).map((g) => [g.name, g.interval]),
      [
        ['selfheal.recording', '2m'],
        ['selfheal.sustained', '2m'],
      ],
    );
  });

  it('a duration that is not one is refused with its key', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sustainedInterval: 'soon' }, /^Error: sustainedInterval: not a Prometheus duration: "soon"$/],
      [{ sustainedInterval: 60 }, /^Error: sustainedInterval: not a Prometheus duration: 60$/],
      [{ sustainedInterval: '0s' }, /^Error: sustainedInterval: must be longer than 0s$/],
      [{ for: { cpuHigh: '1m1h' } }, /^Error: for\.cpuHigh: not a Prometheus duration: "1m1h"$/],
      [{ for: { cpuHigh: '5 minutes' } }, /^Error: for\.cpuHigh: not a Prometheus duration: "5 minutes"$/],
      [{ thresholds: { foreignWindow: '15' } }, /^Error: thresholds\.foreignWindow: not a Prometheus duration: "15"$/],
    ];
    for (const [o, re] of cases) assert.throws(() => rulesConfigWith(o), re, JSON.stringify(o));
  });
});

describe('generated files', () => {
  it('are up to date (npm run generate): rules, PrometheusRule, promtool tests, Alertmanager configs and route snippet', () => {
    const files = generatedFiles();
    assert.deepEqual(Object.keys(files).sort(), [
      'deploy/alertmanager/alertmanager-0.25.yml',
      'deploy/alertmanager/alertmanager.yml',
      'deploy/alertmanager/selfheal-route.yml',
      'deploy/kubernetes/selfheal.prometheusrule.yaml',
      'rules/selfheal.rules.test.yml',
      'rules/selfheal.rules.yml',
    ]);
    for (const [rel, text] of Object.entries(files))
      assert.equal(readFileSync(join(ROOT, rel), 'utf8'), text, `${rel} is stale: run npm run generate`);
  });
});

describe('rules as a mixin: one config object', () => {
  it('the runbook base and the job selector are written once, in the config', () => {
    const src = ['rules.ts', 'rules_config.ts'].map((f) => readFileSync(join(ROOT, 'src/deploy', f), 'utf8')).join('\n');
    assert.equal(src.split(DEFAULT_RULES_CONFIG.runbookBase).length - 1, 1);
    assert.equal(src.split('job="selfheal"').length - 1, 1);
    const runbooks = alerts.map((a) => a.annotations?.runbook_url ?? '');
    assert.ok(runbooks.every((u) => u.startsWith(`${DEFAULT_RULES_CONFIG.runbookBase}#`)));
  });

  it('another config changes every place it applies to, and the pack stays promtool-clean', () => {
    const c = rulesConfigWith({
      jobSelector: 'job="trading-selfheal",env="prod"',
      runbookBase: 'https://wiki.example/selfheal',
      watchdog: null,
      for: { cpuHigh: '10m' },
      thresholds: { cpuHigh: 0.8, manySubsystemsCritical: 5 },
    });
    const text = rulesFile(c);
    const parsed = (parse(text) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
    const byName = Object.fromEntries(parsed.filter((r) => r.alert).map((r) => [r.alert!, r]));
    assert.equal(byName.SelfHealExporterDown.expr, 'up{job="trading-selfheal",env="prod"} == 0');
    assert.equal(byName.SelfHealExporterAbsent.expr, 'absent(up{job="trading-selfheal",env="prod"})');
    assert.equal(byName.SelfHealCPUHigh.expr, 'selfheal_cpu_usage_ratio > 0.8');
    assert.equal(byName.SelfHealCPUHigh.for, '10m');
    assert.equal(byName.SelfHealCPUHigh.annotations?.summary, 'Host CPU above 80%');
    assert.equal(byName.SelfHealCPUCritical.for, '5m', 'the other durations keep their defaults');
    assert.match(byName.SelfHealManySubsystemsCritical.expr, />= 5$/);
    assert.equal(byName.SelfHealWatchdog, undefined);
    assert.equal(parsed.filter((r) => r.alert).length, alerts.length - 1);
    for (const r of parsed.filter((x) => x.alert)) assert.match(r.annotations!.runbook_url!, /^https:\/\/wiki\.example\/selfheal#[a-z]+$/);
    assert.equal(promtoolTestFile(c), null, 'the promtool tests are written for the default thresholds');
    assert.equal(
      promtoolTestFile({ ...DEFAULT_RULES_CONFIG, runbookBase: 'https://wiki.example/x' })?.includes(
        'https://wiki.example/x#selfhealcpuhigh',
      ),
      true,
    );
    const file = join(tempDir(), 'rules.yml');
    writeFileSync(file, text);
    const r = run('promtool', ['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${parsed.length} rules found`));
  });

  it('withFor sets every `for:` and only those (the end-to-end suite runs the pack with 1 s)', () => {
    // By name: a 1 s `for:` moves the alerts that had 5 m out of the sustained group, so the order differs.
    const byName = (rs: Rule[]) => [...rs].sort((a, b) => (a.alert ?? a.record ?? '').localeCompare(b.alert ?? b.record ?? ''));
    const fast = byName(ruleGroups(withFor(DEFAULT_RULES_CONFIG, '1s')).flatMap((g) => g.rules));
    const base = byName(ruleGroups().flatMap((g) => g.rules));
    assert.deepEqual(
      fast.map((r) => r.for),
      base.map((r) => (r.for ? '1s' : undefined)),
    );
    assert.deepEqual(
      fast.map(({ for: _f, annotations: _a, ...r }) => r),
      base.map(({ for: _f, annotations: _a, ...r }) => r),
    );
    // Descriptions that quote a duration follow it.
    const degraded = fast.find((r) => r.alert === 'SelfHealSubsystemDegraded');
    assert.match(degraded?.annotations?.description ?? '', /has been degraded for 1 second\.$/);
  });

  it('unknown config keys are errors that name the key', () => {
    assert.throws(() => rulesConfigWith({ jobselector: 'x' }), /^Error: jobselector: unknown rules config key/);
    assert.throws(() => rulesConfigWith({ for: { cpu: '1m' } }), /^Error: for\.cpu: unknown rules config key/);
  });

  it("the PrometheusRule object carries exactly the pack's groups and passes promtool once unwrapped", () => {
    const obj = parse(readFileSync(join(ROOT, 'deploy/kubernetes/selfheal.prometheusrule.yaml'), 'utf8')) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; labels: Record<string, string> };
      spec: { groups: unknown[] };
    };
    assert.equal(obj.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(obj.kind, 'PrometheusRule');
    assert.equal(obj.metadata.name, 'selfheal-rules');
    assert.match(obj.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.deepEqual(obj.spec.groups, groups);
    const file = join(tempDir(), 'unwrapped.yml');
    writeFileSync(file, stringify({ groups: obj.spec.groups }));
    const r = run('promtool', ['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
  });
});

describe('Alertmanager configuration', () => {
  it('amtool check-config is clean', () => {
    const r = run('amtool', ['check-config', AM]);
    assert.equal(r.code, 0, r.out);
  });
  it('the >= 0.28 variant differs only by the webhook timeout', () => {
    const newer = parse(readFileSync(join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8'));
    const older = parse(readFileSync(AM, 'utf8'));
    assert.equal(newer.receivers[0].webhook_configs[0].timeout, '10s');
    delete newer.receivers[0].webhook_configs[0].timeout;
    assert.deepEqual(newer, older);
  });
  const routes: [string[], string][] = [
    [['alertname=SelfHealOverallFailed', 'severity=critical', 'instance=a'], 'pager,selfheal-recovery'],
    [['alertname=SelfHealSubsystemCritical', 'severity=warning', 'subsystem=data_feed'], 'selfheal-recovery'],
    [['alertname=SelfHealOverallDegraded', 'severity=info'], 'selfheal-recovery'],
    [['alertname=SelfHealWatchdog', 'severity=info'], 'deadmans-switch'],
    // kube-prometheus's own heartbeat is not ours: it takes the default route.
    [['alertname=Watchdog', 'severity=none'], 'selfheal-recovery'],
  ];
  for (const [labels, want] of routes) {
    it(`routes ${labels.join(' ')} → ${want}`, () => {
      const r = run('amtool', ['config', 'routes', 'test', `--config.file=${AM}`, `--verify.receivers=${want}`, ...labels]);
      assert.equal(r.code, 0, r.out);
    });
  }
  it("inhibitions follow the engine's dependency map, one rule per upstream", () => {
    const am = parse(readFileSync(AM, 'utf8')) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const deps = dependencyMap();
    assert.deepEqual(
      deps.map(([up]) => up),
      ['data_feed', 'exchange_connection', 'ai_model', 'database'],
    );
    for (const [up, downs] of deps) {
      const rule = am.inhibit_rules.find((r) => r.source_matchers.includes(`subsystem="${up}"`));
      assert.ok(rule, up);
      assert.deepEqual(rule!.target_matchers, ['signal="subsystem"', `subsystem=~"${downs.join('|')}"`]);
      assert.deepEqual(rule!.equal, ['instance']);
    }
    const db = deps.find(([up]) => up === 'database')![1];
    assert.deepEqual(
      db,
      BUILTIN_SUBSYSTEMS.filter((s) => s !== 'database'),
      'the database feeds every other subsystem',
    );
  });
});

describe('Alertmanager route snippet (deploy/alertmanager/selfheal-route.yml)', () => {
  // A user's existing configuration: a default team receiver, paging on critical, kube-prometheus's Watchdog.
  const snippet = parse(readFileSync(join(ROOT, 'deploy/alertmanager/selfheal-route.yml'), 'utf8')) as {
    routes: unknown[];
    receivers: unknown[];
  };
  const existing = {
    route: {
      receiver: 'team-default',
      group_by: ['alertname'],
      routes: [
        ...snippet.routes,
        { receiver: 'kube-deadmans-switch', matchers: ['alertname="Watchdog"'] },
        { receiver: 'team-pager', matchers: ['severity="critical"'] },
      ],
    },
    receivers: [
      { name: 'team-default', webhook_configs: [{ url: 'http://team.invalid/' }] },
      { name: 'team-pager', webhook_configs: [{ url: 'http://pager.invalid/' }] },
      { name: 'kube-deadmans-switch', webhook_configs: [{ url: 'http://deadman.invalid/' }] },
      ...snippet.receivers,
    ],
  };
  const file = join(tempDir(), 'alertmanager.yml');
  writeFileSync(file, stringify(existing));

  it("is the generator's, and pasted into an existing configuration amtool check-config is clean", () => {
    assert.deepEqual(snippet, parse(stringify(alertmanagerRouteSnippet(EXAMPLE))));
    const r = run('amtool', ['check-config', file]);
    assert.equal(r.code, 0, r.out);
  });
  const routes: [string[], string][] = [
    [['alertname=SelfHealOverallFailed', 'severity=critical', 'instance=a'], 'selfheal-recovery,team-pager'],
    [['alertname=SelfHealSubsystemCritical', 'severity=warning', 'subsystem=data_feed'], 'selfheal-recovery'],
    [['alertname=SelfHealWatchdog', 'severity=info'], 'selfheal-deadmans-switch'],
    [['alertname=Watchdog', 'severity=none'], 'kube-deadmans-switch'],
    [['alertname=KubePodCrashLooping', 'severity=warning'], 'team-default'],
    [['alertname=NodeFilesystemAlmostOutOfSpace', 'severity=critical'], 'team-pager'],
  ];
  for (const [labels, want] of routes) {
    it(`routes ${labels.join(' ')} → ${want}`, () => {
      const r = run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, `--verify.receivers=${want}`, ...labels]);
      assert.equal(r.code, 0, r.out);
    });
  }
});
