// `npm run bench`: the figures in BENCHMARKS.md. Prints a Markdown report.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { cpus } from 'node:os';
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/log/logger';
import { Monitor } from '../src/engine/monitor';
import { Service } from '../src/serve/service';
import { createReceiver } from '../src/serve/receiver';
import { benchPlatform } from './fixture';
import { hasWrk, headersOnly, load, wrk, type LoadResult } from './load';
import { NaiveExporter } from './naive';
import { policyVsMetrics, sseFanout, stormPolicy } from './reliability';
import { passwordFlood, streamFlood, stormSpread } from './hostile';

const out: string[] = [];
const say = (s = '') => {
  out.push(s);
  console.log(s);
};
const f = (n: number, d = 2) => n.toFixed(d);
const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

async function child(mode: 'ours' | 'naive' | 'receiver' | 'streams' | 'web', n: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(join(__dirname, 'server.js'), [mode, String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = (await once(proc, 'message')) as [{ port: number }];
  return { proc, port: msg.port };
}

/**
 * The series (name and labels, without values) of an exposition, sorted; process_* and nodejs_* vary
 * with the process's history (GC kinds seen).
 */
function seriesOf(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !/^(process|nodejs)_/.test(l))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .sort();
}

async function rssOf(proc: ChildProcess): Promise<number> {
  proc.send('rss');
  const [m] = (await once(proc, 'message')) as [{ rss: number }];
  return m.rss;
}

async function scrapes() {
  const native = hasWrk();
  say(
    `## Scrape latency and throughput (8 concurrent keep-alive clients, server in its own process; load: ${native ? 'wrk' : 'Node client'})`,
  );
  say();
  say('Both exporters run side by side and are measured in alternating rounds; each row is the round with the median');
  say('throughput (13 subsystems: 5 rounds of 5 s each; 10,000: one round of 20 s).');
  say();
  say('`ours, gzip` is the same server asked the way Prometheus asks (`Accept-Encoding: gzip`, OpenMetrics): it serves');
  say("bytes compressed once per render. Its ratios are against the naive exporter's plain scrapes.");
  say();
  say(
    '| subsystems | exporter | scrapes | p50 ms | p99 ms | scrapes/s | bytes/scrape | rounds: scrapes/s (p99 ms) | p50, p99 vs naive | throughput vs naive |',
  );
  say('|---:|---|---:|---:|---:|---:|---:|---|---:|---:|');
  const PROMETHEUS = {
    'Accept-Encoding': 'gzip',
    Accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  };
  for (const [n, total, rounds] of [
    [13, 20_000, 5],
    [10_000, 400, 1],
  ] as const) {
    const procs = { naive: await child('naive', n), ours: await child('ours', n) };
    // A fair comparison: both serve exactly the same series.
    const served = await Promise.all(
      (['naive', 'ours'] as const).map(async (m) => seriesOf(await (await fetch(`http://127.0.0.1:${procs[m].port}/metrics`)).text())),
    );
    if (served[0].join('\n') !== served[1].join('\n')) throw new Error(`naive and ours serve different series at ${n} subsystems`);
    const rows = [
      { name: 'naive', port: procs.naive.port, headers: {} as Record<string, string> },
      { name: 'ours', port: procs.ours.port, headers: {} as Record<string, string> },
      { name: 'ours, gzip', port: procs.ours.port, headers: PROMETHEUS },
    ];
    const bytes: Record<string, number> = {};
    for (const row of rows) {
      const res = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: row.port, path: '/metrics', headers: row.headers, agent: false }, (r) => {
          let len = 0;
          r.on('data', (c: Buffer) => (len += c.length));
          r.on('end', () => resolve(len));
        })
          .on('error', reject)
          .end();
      });
      bytes[row.name] = res;
    }
    const runs: Record<string, LoadResult[]> = Object.fromEntries(rows.map((r) => [r.name, []]));
    for (const row of rows) await load(row.port, '/metrics', 8, Math.min(200, total), headersOnly(row.headers)); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const row of rows) {
        runs[row.name].push(
          native
            ? wrk(row.port, '/metrics', 8, n > 1000 ? 20 : 5, row.headers)
            : await load(row.port, '/metrics', 8, total, headersOnly(row.headers)),
        );
      }
    }
    for (const m of ['naive', 'ours'] as const) {
      procs[m].proc.send('exit');
      await once(procs[m].proc, 'exit');
    }
    const median = (rs: LoadResult[]) => [...rs].sort((a, b) => a.rps - b.rps)[Math.floor(rs.length / 2)];
    const naive = median(runs.naive);
    for (const row of rows) {
      const r = median(runs[row.name]);
      const all = runs[row.name].map((x) => `${f(x.rps, 0)} (p99 ${f(x.p99_ms)})`).join(', ');
      const vs = row.name !== 'naive';
      const lat = vs ? `${f(naive.p50_ms / r.p50_ms, 1)}×, ${f(naive.p99_ms / r.p99_ms, 1)}× lower` : '1×';
      say(
        `| ${n} | ${row.name} | ${r.requests} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | ${f(r.rps, 0)} | ${bytes[row.name]} | ${all} | ${lat} | ${vs ? `${f(r.rps / naive.rps, 1)}×` : '1×'} |`,
      );
    }
  }
  say();
}

async function rss() {
  say('## Memory after 100,000 scrapes (13 subsystems)');
  say();
  say('| exporter | RSS before MiB | after 100,000 scrapes MiB | vs naive |');
  say('|---|---:|---:|---:|');
  const after: Record<string, number> = {};
  for (const mode of ['naive', 'ours'] as const) {
    const { proc, port } = await child(mode, 13);
    const before = await rssOf(proc);
    await load(port, '/metrics', 8, 100_000);
    after[mode] = await rssOf(proc);
    proc.send('exit');
    await once(proc, 'exit');
    say(`| ${mode} | ${f(before / 2 ** 20, 1)} | ${f(after[mode] / 2 ** 20, 1)} | ${f(after[mode] / after.naive, 2)}× |`);
  }
  say();
}

async function cycleChild(mode: 'naive' | 'ours', n: number): Promise<{ ms: number; stall: number }> {
  const proc = fork(join(__dirname, 'cycle_child.js'), [mode, String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [result] = (await once(proc, 'message')) as [{ ms: number; stall: number }];
  await once(proc, 'exit');
  return result;
}

async function cycles() {
  say('## Full check cycle (file-based subsystems) and the longest event-loop stall during it');
  say();
  say('Measured from the start of a cycle until its metrics are ready to serve. The naive exporter also writes the report');
  say('file inside its cycle (synchronously, as `selfheal check` does); ours writes it in the background afterwards.');
  say();
  say('Cycle times are medians of 5; the stall is the longest over those 5 cycles.');
  say();
  say('| subsystems | naive cycle ms | naive longest stall ms | ours cycle ms | ours longest stall ms | stall vs naive |');
  say('|---:|---:|---:|---:|---:|---:|');
  for (const n of [13, 1_000, 10_000]) {
    // Each in a fresh process: one exporter's heap must not weigh on the other's collector.
    const theirs = await cycleChild('naive', n);
    const ours = await cycleChild('ours', n);
    say(
      `| ${n} | ${f(theirs.ms, 1)} | ${f(theirs.stall, 1)} | ${f(ours.ms, 1)} | ${f(ours.stall, 1)} | ${f(theirs.stall / ours.stall, 1)}× lower |`,
    );
  }
  say();
}

async function thresholdToPolicy() {
  say('## Threshold crossing → policy change');
  say();
  const { root, config } = benchPlatform(13, {
    policy: { hold_down_sec: 0 },
    // Twenty crossings in a row are a flapping subsystem by design; its floor would hold the policy still.
    flapping: { episodes: 1_000_000 },
    subsystems: { event_executor: { degraded_after_sec: 1, critical_after_sec: 300 } },
  });
  const m = new Monitor(config, { clock: Date.now, resources: fixedResources(), logger: silentLogger(), watchFiles: false });
  const lags: number[] = [];
  const state = join(root, 'data', 'event_executor_state.json');
  await m.start();
  for (let i = 0; i < 20; i++) {
    // A heartbeat 0.8 s old: it crosses the 1 s limit 200 ms from now.
    const beat = Date.now() - 800;
    writeFileSync(state, JSON.stringify({ last_cycle_timestamp: new Date(beat).toISOString() }));
    await m.forceCheck();
    const crossing = beat + 1000 + 1;
    const [change] = (await once(m, 'policy')) as [{ to: string; at: number }];
    lags.push(change.at - crossing);
  }
  m.stop();
  lags.sort((a, b) => a - b);

  // The naive exporter notices at its next cycle (every critical_check_interval): 5 trials.
  const naive = new NaiveExporter(config, fixedResources());
  const naiveLags: number[] = [];
  naive.start();
  for (let i = 0; i < 5; i++) {
    writeFileSync(state, JSON.stringify({ last_cycle_timestamp: new Date().toISOString() }));
    await naive.cycle(); // healthy again
    await new Promise((r) => setTimeout(r, Math.random() * 1000)); // a random phase against its interval
    const beat = Date.now() - 800;
    writeFileSync(state, JSON.stringify({ last_cycle_timestamp: new Date(beat).toISOString() }));
    const crossing = beat + 1000 + 1;
    for (;;) {
      const [report, at] = (await once(naive, 'cycle')) as [{ current_safety_policy: string }, number];
      if (report.current_safety_policy !== 'allow_all' && at >= crossing) {
        naiveLags.push(at - crossing);
        break;
      }
    }
  }
  naive.stop();
  naiveLags.sort((a, b) => a - b);
  say('| exporter | trials | p50 ms | max ms |');
  say('|---|---:|---:|---:|');
  say(`| naive (re-checks every critical_check_interval) | 5 | ${f(naiveLags[2], 0)} | ${f(naiveLags[4], 0)} |`);
  say(`| ours (wakes at the crossing) | 20 | ${f(lags[10], 1)} | ${f(lags[19], 1)} |`);
  say();
}

/** Heal before you halt: a stall is restarted by the local path within ms of the crossing; a torn read changes nothing. */
async function heal() {
  say('## Heal: stall → restart executed, torn read → policy');
  say();
  const { root, config } = benchPlatform(13, {
    policy: { hold_down_sec: 0 },
    flapping: { episodes: 1_000_000 }, // repeated stalls on purpose: measured one at a time, not as a flap
    max_cpu_percent: 100,
    max_memory_percent: 100,
    // Each trial's restart measured alone: no backoff carried from one trial to the next.
    recovery: { settle_sec: 1, breaker_max_executions: 1000, backoff_initial_sec: 0 },
    subsystems: { event_executor: { degraded_after_sec: 0.5, critical_after_sec: 1 } },
  });
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false });
  const rec = createReceiver(svc);
  svc.use(rec);
  const state = join(root, 'data', 'event_executor_state.json');
  const beat = (ms: number) => writeFileSync(state, JSON.stringify({ last_cycle_timestamp: new Date(ms).toISOString() }));
  beat(Date.now()); // alive when the service starts: the trials make the stalls
  await svc.start('127.0.0.1', 0);
  const lags: number[] = [];
  for (let i = 0; i < 20; i++) {
    // A heartbeat 0.8 s old crosses the 1 s critical limit 200 ms from now; the restart must follow the crossing.
    const b = Date.now() - 800;
    beat(b);
    await svc.monitor.forceCheck();
    const crossing = b + 1000 + 1;
    const before = rec.store.history(1000).filter((r) => r.action === 'restart_subsystem' && r.started_at !== null).length;
    let started: number | null = null;
    const deadline = Date.now() + 10_000;
    while (started === null) {
      if (Date.now() > deadline)
        throw new Error(
          `trial ${i}: no restart within 10 s: ${JSON.stringify(rec.store.history(5).map((r) => [r.alertname, r.action, r.state, r.reason]))} ${JSON.stringify(svc.monitor.state.get('event_executor')?.result.health)}`,
        );
      const ran = rec.store.history(1000).filter((r) => r.action === 'restart_subsystem' && r.started_at !== null);
      if (ran.length > before) started = ran[0].started_at;
      else await new Promise((r) => setTimeout(r, 1));
    }
    lags.push(started - crossing);
    // The supervisor restarted it: a live executor beats every 200 ms through the verification (settle 1 s).
    for (let k = 0; k < 7; k++) {
      beat(Date.now());
      if (k === 0) await svc.monitor.forceCheck();
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  lags.sort((a, b) => a - b);

  // Torn reads: half-written state files, each followed by the writer's complete one. Isolated ones
  // (one check in error_rate_window) change nothing; half the reads torn is the guide's error-rate rule.
  const tornRun = async (trials: number, cleanBetween: number) => {
    const changes: string[] = [];
    const on = (c: { to: string }) => changes.push(c.to);
    svc.monitor.on('policy', on);
    for (let i = 0; i < trials; i++) {
      writeFileSync(state, '{"last_cycle_timest');
      await svc.monitor.forceCheck();
      for (let k = 0; k < cleanBetween; k++) {
        beat(Date.now());
        await svc.monitor.forceCheck();
      }
    }
    svc.monitor.off('policy', on);
    return { changes, worst: svc.monitor.state.get('event_executor')!.result.health.status, policy: svc.monitor.policy.policy };
  };
  const isolated = await tornRun(50, 20);
  const frequent = await tornRun(50, 1);
  await svc.stop();
  const naive = new NaiveExporter(config, fixedResources());
  writeFileSync(state, '{"last_cycle_timest');
  const naiveTorn = (await naive.cycle()).current_safety_policy;
  say('| figure | trials | result |');
  say('|---|---:|---|');
  say(
    `| stall → restart executed (ms after the heartbeat crossed critical; local path, no Prometheus/Alertmanager) | 20 | p50 ${f(lags[10], 0)} ms, max ${f(lags[19], 0)} ms |`,
  );
  say(
    `| isolated torn reads (1 in 21 checks) → policy changes, ours | 50 | ${isolated.changes.length} changes; event_executor ${isolated.worst}, policy ${isolated.policy} |`,
  );
  say(
    `| every other read torn → ours | 50 | ${frequent.changes.join(' → ') || 'no change'}; event_executor ${frequent.worst} (torn reads are no evidence: it ages from the last valid one, which is fresh), never failed |`,
  );
  say(`| torn read → policy, naive (one read = failed, the guide's rule) | 1 | ${naiveTorn} |`);
  say();
}

async function idleCpu() {
  say('## Idle CPU at the default intervals (13 subsystems, 60 s)');
  say();
  const { config } = benchPlatform(13);
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger() });
  await svc.start('127.0.0.1', 0);
  const naive = await child('naive', 13); // side by side, in its own process
  naive.proc.send('cpu-start');
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 60_000));
  const u = process.cpuUsage(u0);
  const wall = (performance.now() - t0) * 1000;
  naive.proc.send('cpu');
  const [{ cpu_ratio }] = (await once(naive.proc, 'message')) as [{ cpu_ratio: number }];
  naive.proc.send('exit');
  await once(naive.proc, 'exit');
  await svc.stop();
  const ours = (u.user + u.system) / wall;
  say(
    `CPU over ${f(wall / 1e6, 0)} s idle: ours ${f(ours * 100, 3)} % of one core, naive ${f(cpu_ratio * 100, 3)} % (naive re-checks everything every 5 s; ours the trading-critical ones every 5 s, the rest every 30 s, and watches the files)`,
  );
  say();
}

async function webhook() {
  say('## Webhook intake (journal on disk, SQLite WAL; 8 concurrent keep-alive clients, server in its own process)');
  say();
  say('| alerts per delivery | deliveries | alerts/s | p50 ack ms | p99 ack ms |');
  say('|---:|---:|---:|---:|---:|');
  for (const perDelivery of [1, 10]) {
    const { proc, port } = await child('receiver', 13);
    let seq = 0;
    const body = () => {
      const alerts = Array.from({ length: perDelivery }, () => {
        seq++;
        return {
          status: 'firing',
          labels: {
            alertname: 'SelfHealSubsystemDegraded',
            instance: 'bench',
            subsystem: 'logging',
            severity: 'info',
            issue_severity: 'none',
          },
          annotations: {},
          startsAt: new Date(1_800_000_000_000 + seq).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
          fingerprint: seq.toString(16).padStart(16, '0'),
        };
      });
      return {
        body: JSON.stringify({ version: '4', status: 'firing', receiver: 'hook', groupKey: '{}', alerts }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-token' },
      };
    };
    await load(port, '/alertmanager/webhook', 8, 500, body);
    const r = await load(port, '/alertmanager/webhook', 8, perDelivery === 1 ? 20_000 : 4_000, body);
    say(`| ${perDelivery} | ${r.requests} | ${f(r.rps * perDelivery, 0)} | ${f(r.p50_ms)} | ${f(r.p99_ms)} |`);
    proc.send('exit');
    await once(proc, 'exit');
  }
  say();
}

async function main() {
  say(`# selfheal benchmarks`);
  say();
  say(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Command: \`npm run bench\`.`);
  say();
  if (want('scrape')) await scrapes();
  if (want('rss')) await rss();
  if (want('cycle')) await cycles();
  if (want('threshold')) await thresholdToPolicy();
  if (want('heal')) await heal();
  if (want('idle')) await idleCpu();
  if (want('webhook')) await webhook();
  if (want('policy')) await policyVsMetrics(say, child);
  if (want('sse')) await sseFanout(say, child);
  if (want('storm')) await stormPolicy(say, child);
  if (want('storm-spread')) await stormSpread(say, child);
  if (want('streams')) await streamFlood(say, child);
  if (want('passwords')) await passwordFlood(say, child);
  writeFileSync(join(process.cwd(), 'bench-results.md'), out.join('\n') + '\n');
}

void main().then(() => process.exit(0));
