// `npm run bench:fleet`: a fleet of N synthetic selfheal instances (one process, one path per target)
// scraped by a real Prometheus with the rules pack, and the generated 1,000-route Alertmanager config
// under a 1,000-alert burst. Prints the Markdown table of BENCHMARKS.md "Fleet".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { fleetAlertmanagerConfig, fleetTargets, type InventoryEntry } from '../src/deploy/fleet';
import { durationSeconds } from '../src/deploy/rules_config';
import { createReceiver } from '../src/serve/receiver';
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/log/logger';
import { Service } from '../src/serve/service';
import { benchPlatform } from './fixture';

const ROOT = resolve(__dirname, '../..');
/** Scrape and evaluation interval: the target is stated for a 15 s evaluation interval (FLEET_INTERVAL_SEC to change). */
const INTERVAL_SEC = Number(process.env.FLEET_INTERVAL_SEC ?? 15);
/**
 * How long the fleet runs before the groups are sampled (default four intervals). FLEET_WARMUP_SEC=2100 measures a
 * head whose chunks are full and whose 15-minute windows hold 15 minutes, as on a Prometheus that has run for hours.
 */
const WARMUP_SEC = Number(process.env.FLEET_WARMUP_SEC ?? 4 * INTERVAL_SEC);
/** FLEET_INCIDENT=0 leaves out the incident run (10 % of the largest fleet critical). */
const INCIDENT = process.env.FLEET_INCIDENT !== '0';
const say = (s = '') => console.log(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A real selfheal exposition (healthy), and the same with data_feed critical. */
async function expositions(): Promise<{ healthy: string; critical: string }> {
  const { root, config } = benchPlatform(13, {
    max_cpu_percent: 100,
    max_memory_percent: 100,
    policy: { hold_down_sec: 0 },
    recovery: { local: false },
  });
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, schedule: false });
  svc.use(createReceiver(svc, { schedule: false }));
  const addr = await svc.start('127.0.0.1', 0);
  await svc.monitor.forceCheck();
  const scrape = async () => (await fetch(`http://127.0.0.1:${addr.port}/metrics`)).text();
  const healthy = await scrape();
  // The same selfheal with its data feed critical (a snapshot without symbols), as it would serve it.
  writeFileSync(join(root, 'data', 'universe_snapshot.json'), JSON.stringify({ symbols: [] }));
  await svc.monitor.forceCheck();
  const critical = await scrape();
  await svc.stop();
  return { healthy, critical };
}

/**
 * A captured exposition that stays live: its last-check time is now at every scrape, as a running
 * selfheal's is. (Served frozen, every instance would look stalled after two minutes and the fleet
 * would measure 1,000 firing SelfHealChecksStalled alerts instead of the pack on a working fleet.)
 */
export function liveExposition(text: string): (nowMs: number) => string {
  const name = 'selfheal_last_check_timestamp_seconds';
  const at = text.split('\n').findIndex((l) => l.startsWith(`${name} `));
  if (at < 0) throw new Error(`the exposition has no ${name}`);
  const lines = text.split('\n');
  const before = lines.slice(0, at).join('\n');
  const after = lines.slice(at + 1).join('\n');
  return (nowMs) => `${before}\n${name} ${(nowMs / 1000).toFixed(3)}\n${after}`;
}

/** The simulated fleet: one instance in `criticalEvery` has a critical feed (its selfheal serves defensive_exit). */
interface Simulator {
  server: Server;
  criticalEvery: number;
}

/** One process serving N expositions at /t/<i>/metrics. */
async function simulator(healthy: string, critical: string): Promise<Simulator> {
  const live = { healthy: liveExposition(healthy), critical: liveExposition(critical) };
  const sim: Simulator = { server: createServer(), criticalEvery: 100 };
  const srv = sim.server;
  srv.on('request', (req, res) => {
    const m = /^\/t\/(\d+)\/metrics$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    const body = (Number(m[1]) % sim.criticalEvery === 0 ? live.critical : live.healthy)(Date.now());
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  });
  srv.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return sim;
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;
const freePort = async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = portOf(s);
  await new Promise((r) => s.close(r));
  return p;
};

async function waitFor(what: string, check: () => Promise<boolean>, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    await sleep(250);
  }
  throw new Error(`timed out: ${what}`);
}

function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

/** Sums the samples of a metric family in a Prometheus text exposition (optionally filtered by a label substring). */
function metric(text: string, name: string, filter = ''): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{') && l.includes(filter))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

function inventory(n: number, urlOf: (i: number) => string): InventoryEntry[] {
  return Array.from({ length: n }, (_, i) => ({ instance: `sim-${i}:8477`, url: urlOf(i), labels: { venue: `v${i % 7}` } }));
}

async function prometheusAt(n: number, simPort: number) {
  const dir = mkdtempSync(join(tmpdir(), `selfheal-fleetbench-${n}-`));
  const targets = fleetTargets(inventory(n, (i) => `http://127.0.0.1:${simPort}/t/${i}`));
  writeFileSync(join(dir, 'targets.json'), JSON.stringify(targets));
  writeFileSync(join(dir, 'rules.yml'), readFileSync(join(ROOT, 'rules/selfheal.rules.yml')));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: `${INTERVAL_SEC}s`, evaluation_interval: `${INTERVAL_SEC}s` },
      rule_files: [join(dir, 'rules.yml')],
      scrape_configs: [{ job_name: 'selfheal', file_sd_configs: [{ files: [join(dir, 'targets.json')] }] }],
    }),
  );
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('prometheus ready', async () => (await fetch(`${url}/-/ready`)).ok);
  const query = async (q: string) =>
    (
      (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      }
    ).data.result;
  await waitFor(`${n} targets up`, async () => Number((await query('count(up{job="selfheal"} == 1)'))[0]?.value[1]) === n);
  // Let several scrapes and evaluations pass (the minutely groups at least once), then sample every group's last
  // evaluation each interval for two minutes (two runs of the minutely groups), and keep each group's median.
  await sleep(WARMUP_SEC * 1000);
  const samples = new Map<string, { interval: number; ms: number[] }>();
  for (let k = 0; k < Math.ceil(120 / INTERVAL_SEC); k++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const [group, sec] of byRuleGroup(text, 'prometheus_rule_group_last_duration_seconds')) {
      const interval = byRuleGroup(text, 'prometheus_rule_group_interval_seconds').get(group) ?? INTERVAL_SEC;
      const s = samples.get(group) ?? { interval, ms: [] };
      s.ms.push(sec * 1000);
      samples.set(group, s);
    }
    await sleep(INTERVAL_SEC * 1000);
  }
  const groups = [...samples].map(([name, s]) => ({ name, interval: s.interval, ms: median(s.ms) }));
  const everyEval = groups.filter((g) => g.interval <= INTERVAL_SEC).reduce((a, g) => a + g.ms, 0);
  const slower = groups.filter((g) => g.interval > INTERVAL_SEC).reduce((a, g) => a + g.ms, 0);
  // What the rule manager spends per 15 s of wall clock: each group's evaluation as often as it runs in 15 s.
  const per15 = groups.reduce((a, g) => a + g.ms * (15 / g.interval), 0);
  const byGroup = groups
    .map((g) => `${g.name} ${g.ms.toFixed(1)}${g.interval > INTERVAL_SEC ? ` (every ${g.interval} s)` : ''}`)
    .join(', ');
  const text = await (await fetch(`${url}/metrics`)).text();
  const series = metric(text, 'prometheus_tsdb_head_series')[0];
  const rss = metric(text, 'process_resident_memory_bytes')[0];
  const alerts = Number((await query('count(ALERTS{alertname!="SelfHealWatchdog"})'))[0]?.value[1] ?? 0);
  const critical = Number((await query('count(count by (instance) (selfheal_subsystem_problem{status="critical"}))'))[0]?.value[1] ?? 0);
  const stalled = Number((await query('count(ALERTS{alertname="SelfHealChecksStalled"})'))[0]?.value[1] ?? 0);
  if (stalled > 0) throw new Error(`${stalled} SelfHealChecksStalled alerts: the simulated fleet looks stalled, not working`);
  const cost = await rulesCost(url);
  const wall = await rulesWallClock(url);
  // Diagnostics: FLEET_HOLD_SEC keeps this Prometheus up to query by hand.
  const hold = Number(process.env.FLEET_HOLD_SEC ?? 0);
  if (hold > 0) {
    console.error(`holding ${url} for ${hold} s`);
    await sleep(hold * 1000);
  }
  await stop(proc);
  return { n, byGroup, costMs: cost.per15, top: cost.top, wall, series, everyEval, slower, per15, rssMiB: rss / 2 ** 20, alerts, critical };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A per-rule-group gauge of Prometheus's own /metrics, by group name. */
function byRuleGroup(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${name}{`)) continue;
    const group = /rule_group="[^"]*;([^"]+)"/.exec(l)?.[1];
    if (group) out.set(group, Number(l.slice(l.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** Each rule's own wall clock in its group's last evaluation (`/api/v1/rules` evaluationTime), the slowest five. */
async function rulesWallClock(url: string): Promise<string> {
  type Rules = { data: { groups: { name: string; rules: { name: string; evaluationTime: number }[] }[] } };
  const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as Rules;
  const each = body.data.groups.flatMap((g) => g.rules.map((r) => [`${g.name}/${r.name}`, r.evaluationTime * 1000] as const));
  return [...each]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([n, ms]) => `${n} ${ms.toFixed(1)}`)
    .join(', ');
}

/**
 * Every rule's expression run as an instant query with Prometheus's own timing (stats=all), 5 times, the
 * fastest kept, summed as often as its group runs in 15 s: the CPU cost of the pack per 15 s, with the host's
 * contention filtered out (and without the alerts' own bookkeeping, which the groups' wall clock includes).
 */
async function rulesCost(url: string): Promise<{ per15: number; top: string }> {
  const doc = parseYaml(readFileSync(join(ROOT, 'rules/selfheal.rules.yml'), 'utf8')) as {
    groups: { interval?: string; rules: { expr: string; alert?: string; record?: string }[] }[];
  };
  let per15 = 0;
  const each: [string, number][] = [];
  for (const r of doc.groups.flatMap((g) =>
    g.rules.map((rule) => ({ ...rule, runs: 15 / (g.interval ? durationSeconds(g.interval) : INTERVAL_SEC) })),
  )) {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const body = (await (await fetch(`${url}/api/v1/query?stats=all&query=${encodeURIComponent(r.expr)}`)).json()) as {
        data: { stats?: { timings?: { evalTotalTime?: number } } };
      };
      best = Math.min(best, body.data.stats?.timings?.evalTotalTime ?? NaN);
    }
    per15 += best * r.runs;
    each.push([r.alert ?? r.record ?? '?', best * 1000]);
  }
  each.sort((a, b) => b[1] - a[1]);
  return {
    per15: per15 * 1000,
    top: each
      .slice(0, 3)
      .map(([n, ms]) => `${n} ${ms.toFixed(1)}`)
      .join(', '),
  };
}

async function alertmanagerBurst(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'selfheal-fleetbench-am-'));
  let correct = 0;
  let wrong = 0;
  let last = 0;
  const sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const m = /^\/h\/(\d+)\/alertmanager\/webhook$/.exec(req.url ?? '');
      if (m) {
        for (const a of (JSON.parse(body) as { alerts: { labels: Record<string, string> }[] }).alerts) {
          if (a.labels.instance === `sim-${m[1]}:8477`) correct++;
          else wrong++;
        }
        last = performance.now();
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${portOf(sink)}`;
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'bench');
  const cfg = fleetAlertmanagerConfig(
    inventory(n, (i) => `${base}/h/${i}`),
    { tokenFile, pagerUrl: `${base}/pager`, deadmansSwitchUrl: `${base}/dms`, groupWait: '1s', groupInterval: '5s', repeatInterval: '1h' },
  );
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, stringify(cfg));
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${file}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('alertmanager ready', async () => (await fetch(`${url}/-/ready`)).ok);
  const startMs = performance.now() - t0;
  const reloads: number[] = [];
  for (let k = 0; k < 3; k++) {
    const r0 = performance.now();
    const r = await fetch(`${url}/-/reload`, { method: 'POST' });
    if (!r.ok) throw new Error(`reload: ${r.status}`);
    reloads.push(performance.now() - r0);
  }
  reloads.sort((a, b) => a - b);
  const now = new Date().toISOString();
  const alerts = Array.from({ length: n }, (_, i) => ({
    labels: {
      alertname: 'SelfHealSubsystemCritical',
      severity: 'warning',
      signal: 'subsystem',
      subsystem: 'event_executor',
      issue_severity: 'critical',
      job: 'selfheal',
      instance: `sim-${i}:8477`,
    },
    annotations: { summary: 'bench' },
    startsAt: now,
  }));
  const b0 = performance.now();
  const posted = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!posted.ok) throw new Error(`post alerts: ${posted.status} ${await posted.text()}`);
  await waitFor('every alert delivered', async () => correct + wrong >= n, 120_000);
  const burstMs = last - b0;
  await stop(proc);
  await new Promise((r) => sink.close(r));
  return { n, startMs, reloadMs: reloads[1], burstMs, correct, wrong };
}

/** The runs: a working fleet (1 % of instances with a critical feed) at each size, then an incident (10 %) at the largest. */
function runsFor(ns: number[]): { n: number; criticalEvery: number }[] {
  const steady = ns.map((n) => ({ n, criticalEvery: 100 }));
  return INCIDENT ? [...steady, { n: Math.max(...ns), criticalEvery: 10 }] : steady;
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const ns = sizes.length ? sizes : [100, 1000];
  const { healthy, critical } = await expositions();
  const perInstance = healthy.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const sim = await simulator(healthy, critical);
  say(
    `## Fleet (one Prometheus ${execVersion('prometheus')}, scrape and evaluation every ${INTERVAL_SEC} s, the rules pack; ${perInstance} series per instance; sampled after ${WARMUP_SEC} s)`,
  );
  say();
  say(
    '| instances | with a critical feed | head series | groups run every evaluation (ms) | groups run every minute (ms) | rule evaluation per 15 s (ms) | share of 15 s | cost per 15 s, fastest of 5 (ms) | its share | Prometheus RSS (MiB) | alerts pending or firing |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rows = [];
  const groupLines: string[] = [];
  for (const run of runsFor(ns)) {
    sim.criticalEvery = run.criticalEvery;
    const r = await prometheusAt(run.n, portOf(sim.server));
    rows.push({ ...r, criticalEvery: run.criticalEvery });
    groupLines.push(
      `${run.n} (${r.critical} critical): ${r.byGroup} ms (costliest rules: ${r.top} ms; slowest by wall clock: ${r.wall} ms)`,
    );
    const pct = (ms: number) => `${((ms / 15000) * 100).toFixed(3)} %`;
    say(
      `| ${run.n.toLocaleString('en')} | ${r.critical} | ${r.series.toLocaleString('en')} | ${r.everyEval.toFixed(1)} | ${r.slower.toFixed(1)} | ${r.per15.toFixed(1)} | ${pct(r.per15)} | ${r.costMs.toFixed(1)} | ${pct(r.costMs)} | ${r.rssMiB.toFixed(0)} | ${r.alerts} |`,
    );
  }
  say();
  say(
    `Per group, median of the last evaluations: ${groupLines.join('; ')}. Load average during the run: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores.`,
  );
  const steady = rows.filter((r) => r.criticalEvery === 100);
  if (steady.length >= 2) {
    const [a, b] = [steady[0], steady[steady.length - 1]];
    const k = b.n / a.n;
    say();
    say(
      `Growth ${a.n} → ${b.n} (×${k}), the working fleet: series ×${(b.series / a.series).toFixed(1)}, rule evaluation per 15 s ×${(b.per15 / a.per15).toFixed(1)} (fastest-of-5 cost ×${(b.costMs / a.costMs).toFixed(1)}), RSS ×${(b.rssMiB / a.rssMiB).toFixed(1)}.`,
    );
  }
  await new Promise((r) => sim.server.close(r));
  const am = await alertmanagerBurst(Math.max(...ns));
  say();
  say(`## Alertmanager ${execVersion('prometheus-alertmanager')} on the generated ${am.n.toLocaleString('en')}-route config`);
  say();
  say(
    '| routes | start to ready (ms) | config reload (ms, median of 3) | burst of alerts | delivered to the right receiver | wrong | time to last delivery (ms, group_wait 1 s included) |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|');
  say(
    `| ${am.n.toLocaleString('en')} | ${am.startMs.toFixed(0)} | ${am.reloadMs.toFixed(0)} | ${am.n.toLocaleString('en')} | ${am.correct} | ${am.wrong} | ${am.burstMs.toFixed(0)} |`,
  );
}

function execVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '';
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
