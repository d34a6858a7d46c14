// The committed dashboards equal the generator's output, and every panel follows the conventions
// of Grafana's dashboard linter.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dashboards, renderDashboards } from '../../grafana/generator/generate';
import { rulesConfigWith } from '../../src/deploy/generate';
import { rulesFile } from '../../src/deploy/rules';
import { DEFAULT_RULES_CONFIG } from '../../src/deploy/rules_config';
import { DASHBOARD_DIR, loadDashboards } from '../helpers/dashboards';

const DIR = DASHBOARD_DIR;

describe('dashboards as code', () => {
  it('committed JSON equals the generator output (npm run generate)', () => {
    const want = renderDashboards();
    assert.deepEqual(
      readdirSync(DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
      Object.keys(want).sort(),
    );
    for (const [name, text] of Object.entries(want))
      assert.equal(readFileSync(join(DIR, name), 'utf8'), text, `${name} is stale: run npm run generate`);
  });

  it("the overview draws the rules pack's CPU and memory thresholds (one source: RulesConfig.thresholds)", () => {
    type Panel = { title: string; description: string; fieldConfig: { defaults: { thresholds: { steps: { value: number | null }[] } } } };
    const steps = (d: unknown, title: string) => {
      const p = (d as { panels: Panel[] }).panels.find((x) => x.title === title)!;
      return { values: p.fieldConfig.defaults.thresholds.steps.map((x) => x.value), description: p.description };
    };
    const t = DEFAULT_RULES_CONFIG.thresholds;
    const committed = loadDashboards()['selfheal-overview.json'];
    assert.deepEqual(steps(committed, 'CPU').values, [null, t.cpuHigh, t.cpuCritical]);
    assert.deepEqual(steps(committed, 'Memory').values, [null, t.memoryHigh, t.memoryCritical]);
    const own = rulesConfigWith({ thresholds: { cpuHigh: 0.7, cpuCritical: 0.8, memoryHigh: 0.6, memoryCritical: 0.75 } });
    const d = dashboards(own)['selfheal-overview.json'];
    assert.deepEqual(steps(d, 'CPU').values, [null, 0.7, 0.8]);
    assert.deepEqual(steps(d, 'Memory').values, [null, 0.6, 0.75]);
    assert.match(steps(d, 'Memory').description, /warning \(60%\) and critical \(75%\)/);
    assert.match(rulesFile(own), /selfheal_memory_usage_ratio\{?[^\n]*> 0\.75/);
  });

  for (const [file, d] of Object.entries(loadDashboards())) {
    describe(file, () => {
      it('stable uid, no ${DS_…} inputs', () => {
        assert.match(d.uid, /^selfheal-[a-z]+$/);
        assert.doesNotMatch(JSON.stringify(d), /\$\{DS_/);
      });
      it('variables: "Data source", and job/instance multi with all = .+', () => {
        const v = Object.fromEntries(d.templating.list.map((x) => [x.name, x]));
        assert.equal(v.datasource?.type, 'datasource');
        assert.equal(v.datasource?.label, 'Data source');
        for (const name of ['job', 'instance']) {
          assert.equal(v[name]?.multi, true, name);
          assert.equal(v[name]?.includeAll, true, name);
          assert.equal(v[name]?.allValue, '.+', name);
          assert.equal(v[name]?.datasource?.uid, '${datasource}', name);
        }
      });
      for (const p of d.panels) {
        it(`panel "${p.title}": title, description, unit, data source variable, $__rate_interval, job/instance`, () => {
          assert.ok(p.title && p.description, 'title and description');
          assert.ok(p.fieldConfig?.defaults?.unit, 'unit');
          assert.equal(p.datasource?.uid, '${datasource}');
          assert.ok(p.targets && p.targets.length > 0, 'targets');
          for (const t of p.targets!) {
            assert.equal(t.datasource?.uid, '${datasource}');
            for (const m of (t.expr ?? '').matchAll(/\b(rate|irate)\([^[]*\[([^\]]+)\]/g)) assert.equal(m[2], '$__rate_interval', t.expr);
            if (!/ALERTS\{/.test(t.expr ?? ''))
              assert.match(t.expr ?? '', /job=~"\$job",instance=~"\$instance"/, 'scoped to $job and $instance');
          }
        });
      }
    });
  }
});
