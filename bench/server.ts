// Child process for the scrape benchmarks: `ours` (selfheal serve) or `naive` (render on every scrape).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/serve/logger';
import { Service } from '../src/serve/service';
import { HEALTH_STATUSES } from '../src/types';
import { benchPlatform } from './fixture';
import { createReceiver } from '../src/execute/receiver';

async function main() {
  const [mode, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  const { config } = benchPlatform(n);
  let port: number;
  if (mode === 'ours' || mode === 'receiver') {
    if (mode === 'receiver') config.receiver.bearer_token = 'bench-token';
    const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false });
    if (mode === 'receiver') svc.use(createReceiver(svc));
    port = (await svc.start('127.0.0.1', 0)).port;
  } else {
    // The naive exporter: same series, rendered by prom-client on every scrape.
    const registry = new Registry();
    const g = new Gauge({ name: 'selfheal_subsystem_status', help: 'status', labelNames: ['subsystem', 'status'], registers: [registry] });
    const d = new Gauge({ name: 'selfheal_subsystem_check_duration_seconds', help: 'duration', labelNames: ['subsystem'], registers: [registry] });
    const c = new Gauge({ name: 'selfheal_subsystem_consecutive_failures', help: 'failures', labelNames: ['subsystem'], registers: [registry] });
    const u = new Gauge({ name: 'selfheal_subsystem_last_update_timestamp_seconds', help: 'ts', labelNames: ['subsystem'], registers: [registry] });
    for (const s of config.subsystems) {
      for (const st of HEALTH_STATUSES) g.set({ subsystem: s.name, status: st }, st === 'healthy' ? 1 : 0);
      d.set({ subsystem: s.name }, 0.001);
      c.set({ subsystem: s.name }, 0);
      u.set({ subsystem: s.name }, Date.now() / 1000);
    }
    const srv = createServer(async (_req, res) => {
      const text = await registry.metrics();
      res.setHeader('Content-Type', registry.contentType);
      res.end(text);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as AddressInfo).port;
  }
  process.send?.({ port });
  process.on('message', (m) => {
    if (m === 'rss') process.send?.({ rss: process.memoryUsage().rss });
    if (m === 'exit') process.exit(0);
  });
}

void main();
