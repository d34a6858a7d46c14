// Every query of every panel and variable, run against a real Prometheus scraping the real selfheal
// with the rules pack loaded (Grafana itself cannot run here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUILTIN_SUBSYSTEMS } from '../../src/types';
import { tempDir } from '../helpers/fs';
import { configIn } from '../helpers/config';
import { healthyPlatform } from '../helpers/platform';
import { startService } from '../helpers/service';
import { ROOT, startPrometheus } from '../helpers/stack';
import { until } from '../helpers/process';
import { loadDashboards } from '../helpers/dashboards';

/** Grafana's substitutions, as a user with "All" selected would get them. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '4s')
    .replaceAll('$__range', '1m')
    .replaceAll('"$job"', '"selfheal"')
    .replaceAll('"$instance"', '".+"')
    .replaceAll('"$subsystem"', '".+"');
}

const MUST_SHOW = [
  'Overall status',
  'Safety policy',
  'CPU',
  'Memory',
  'Subsystems',
  'Status history',
  'Trading allowed',
  'Instances by policy',
  'Instances by status',
  'Exporters up',
  'Foreign alerts (15m)',
  'Worst instances first',
  'Policy per instance',
  'Status history per instance',
];
const INSTANCES = 3;

describe('dashboard queries against a real Prometheus', () => {
  it(
    'every panel query evaluates on three instances; status, policy, resources, timelines and the fleet panels show data',
    { timeout: 120_000 },
    async () => {
      const targets: string[] = [];
      for (let i = 0; i < INSTANCES; i++) {
        const root = tempDir();
        healthyPlatform(root, Date.now());
        const { url } = await startService(
          configIn(root, { policy: { hold_down_sec: 0 } }),
          { schedule: true },
          { receiver: true, receiverSchedule: false },
        );
        targets.push(url.replace('http://', ''));
      }
      const prom = await startPrometheus({ targets, rules: readFileSync(join(ROOT, 'rules/selfheal.rules.yml'), 'utf8') });
      await until('three scrapes of each selfheal', async () => {
        const r = await prom.query('count_over_time(selfheal_build_info{job="selfheal"}[1m]) >= 3');
        return r.result.length === INSTANCES;
      });
      const jobs = (await (await fetch(`${prom.url}/api/v1/label/job/values?match[]=selfheal_build_info`)).json()) as { data: string[] };
      assert.deepEqual(jobs.data, ['selfheal'], 'the job variable has a value');
      const subs = (await (await fetch(`${prom.url}/api/v1/label/subsystem/values?match[]=selfheal_subsystem_status`)).json()) as {
        data: string[];
      };
      assert.deepEqual(subs.data, [...BUILTIN_SUBSYSTEMS].sort(), 'the subsystem variable lists them all');

      let checked = 0;
      for (const [file, d] of Object.entries(loadDashboards())) {
        for (const p of d.panels) {
          for (const t of p.targets ?? []) {
            const expr = substitute(t.expr ?? '');
            const res = await prom.query(expr).catch((e: Error) => assert.fail(`${file} / ${p.title}: ${e.message}\n${expr}`));
            await prom.queryRange(expr, 30, '2s').catch((e: Error) => assert.fail(`${file} / ${p.title} (range): ${e.message}`));
            checked++;
            if (MUST_SHOW.includes(p.title ?? '')) assert.ok(res.result.length > 0, `${file} / ${p.title} shows no data:\n${expr}`);
          }
        }
      }
      assert.ok(checked >= 25, `${checked} queries`);
      // The status folds to a code the value mappings understand: a healthy platform reads 0.
      const overall = await prom.query(substitute(loadDashboards()['selfheal-overview.json'].panels[0].targets![0].expr!));
      assert.equal(overall.result[0].value?.[1], '0');
      // The fleet view: one row per instance in the worst-first table, all three counted by status.
      const fleet = loadDashboards()['selfheal-fleet.json'].panels;
      const expr = (title: string) => substitute(fleet.find((p) => p.title === title)!.targets![0].expr!);
      assert.equal((await prom.query(expr('Worst instances first'))).result.length, INSTANCES);
      const byStatus = await prom.query(expr('Instances by status'));
      assert.deepEqual(
        byStatus.result.map((r) => [r.metric.status, r.value?.[1]]),
        [['healthy', String(INSTANCES)]],
      );
      assert.equal((await prom.query(expr('Exporters up'))).result[0].value?.[1], String(INSTANCES));
    },
  );
});
