// The rules pack and Alertmanager config, checked by the real Prometheus tools and by our own lint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { dependencyMap } from '../../src/deploy/alertmanager';
import { generatedFiles } from '../../src/deploy/generate';

const ROOT = resolve(__dirname, '../../..');
const RULES = join(ROOT, 'rules/selfheal.rules.yml');
const AM = join(ROOT, 'deploy/alertmanager/alertmanager-0.25.yml');

function run(cmd: string, args: string[], cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}); \`npm test\` installs it via scripts/ensure-tools.js`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);

describe('promtool', () => {
  it('check rules is clean', () => {
    const r = run('promtool', ['check', 'rules', RULES]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 27 rules found/);
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
  const anchors = new Set([...runbooks.matchAll(/^## (.+)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const a of alerts) {
    it(`${a.alert}: severity, summary, description, runbook`, () => {
      assert.ok(['critical', 'warning', 'info'].includes(a.labels?.severity ?? ''), 'severity');
      assert.ok(a.annotations?.summary, 'summary');
      assert.ok(a.annotations?.description, 'description');
      const url = a.annotations?.runbook_url ?? '';
      assert.match(url, /docs\/runbooks\.md#[a-z0-9-]+$/);
      assert.ok(anchors.has(url.split('#')[1]), `anchor ${url.split('#')[1]} missing from docs/runbooks.md`);
      if (a.alert !== 'SelfHealExporterAbsent' && a.alert !== 'Watchdog') {
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
        assert.ok(l.subsystem || /selfheal_subsystem_status/.test(a.expr), `${a.alert} needs a subsystem`);
      }
      if (/selfheal_recovery_(actions_total|circuit_open)/.test(a.expr)) {
        assert.equal(l.issue_severity, 'none', `${a.alert} must not trigger remediation`);
        assert.match(a.expr, /by \([^)]*recovery_action[^)]*\)/, `${a.alert} must drop the action label`);
      }
    }
  });
});

describe('Alertmanager configuration', () => {
  it('generated files are up to date (npm run generate)', () => {
    for (const [rel, text] of Object.entries(generatedFiles())) assert.equal(readFileSync(join(ROOT, rel), 'utf8'), text, rel);
  });
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
    [['alertname=Watchdog', 'severity=info'], 'deadmans-switch'],
  ];
  for (const [labels, want] of routes) {
    it(`routes ${labels.join(' ')} → ${want}`, () => {
      const r = run('amtool', ['config', 'routes', 'test', `--config.file=${AM}`, `--verify.receivers=${want}`, ...labels]);
      assert.equal(r.code, 0, r.out);
    });
  }
  it('inhibitions follow the engine\'s dependency map, one rule per upstream', () => {
    const am = parse(readFileSync(AM, 'utf8')) as { inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[] };
    const deps = dependencyMap();
    assert.deepEqual(deps.map(([up]) => up), ['data_feed', 'exchange_connection', 'ai_model', 'database']);
    for (const [up, downs] of deps) {
      const rule = am.inhibit_rules.find((r) => r.source_matchers.includes(`subsystem="${up}"`));
      assert.ok(rule, up);
      assert.deepEqual(rule!.target_matchers, ['signal="subsystem"', `subsystem=~"${downs.join('|')}"`]);
      assert.deepEqual(rule!.equal, ['instance']);
    }
    const db = deps.find(([up]) => up === 'database')![1];
    assert.equal(db.length, 12);
  });
});
