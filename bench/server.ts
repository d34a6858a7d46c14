// Child process for the benchmarks: `ours` (selfheal serve), `naive` (bench/naive.ts: the same series,
// rendered by prom-client on every scrape), `receiver` (ours with the webhook; room for the SSE fan-out's
// 1,000 subscribers), `streams` (the receiver with the default connection limits) or `web` (the receiver
// behind a web config with basic auth — alice:s3cret, bcrypt cost 10 — and rate_limit 5/s).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { fixedResources } from '../src/detect/resources';
import { parseWebConfig } from '../src/http/web_config';
import { createReceiver } from '../src/serve/receiver';
import { silentLogger } from '../src/log/logger';
import { Service } from '../src/serve/service';
import { benchPlatform } from './fixture';
import { NaiveExporter } from './naive';

async function main() {
  const [mode, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  const { root, config } = benchPlatform(n);
  let port: number;
  const web =
    mode === 'web'
      ? parseWebConfig({ basic_auth_users: { alice: bcrypt.hashSync('s3cret', 10) }, rate_limit: { interval: '1s', burst: 5 } }, root)
      : null;
  if (mode === 'receiver') {
    // The SSE fan-out: 1,000 subscribers from one address, beyond the per-client default (32).
    Object.assign(config.api, { max_connections: 4096, max_streams: 2048, max_streams_per_client: 2048 });
  }
  if (mode === 'receiver' || mode === 'web' || mode === 'streams') {
    config.receiver.bearer_token = 'bench-token';
    // The reliability figures: operator override without hold-down, and a 10,000-alert delivery.
    config.api.token = 'bench-token';
    config.policy.hold_down_sec = 0;
    config.receiver.max_body_bytes = 16 * 1024 * 1024;
  }
  if (mode !== 'naive') {
    const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false, web });
    if (mode !== 'ours') svc.use(createReceiver(svc));
    port = (await svc.start('127.0.0.1', 0)).port;
  } else {
    const naive = new NaiveExporter(config, fixedResources());
    await naive.cycle();
    naive.start();
    port = (await naive.listen()).port;
  }
  process.send?.({ port });
  process.on('disconnect', () => process.exit(0)); // the bench died: do not linger, cycling, on a shared machine
  let eld: IntervalHistogram | null = null;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m) => {
    if (m === 'rss') process.send?.({ rss: process.memoryUsage().rss });
    if (m === 'cpu-start') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    if (m === 'cpu') {
      const u = process.cpuUsage(cpu0);
      process.send?.({ cpu_ratio: (u.user + u.system) / ((performance.now() - t0) * 1000) });
    }
    // The longest event-loop turn in a window (the histogram's max, in ms; 1 ms resolution).
    if (m === 'eld-start') {
      eld = monitorEventLoopDelay({ resolution: 1 });
      eld.enable();
    }
    if (m === 'eld' && eld) {
      eld.disable();
      process.send?.({ eld_max_ms: eld.max / 1e6, eld_p99_ms: eld.percentile(99) / 1e6 });
    }
    if (m === 'exit') process.exit(0);
  });
}

void main();
