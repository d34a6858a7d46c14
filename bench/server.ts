// Child process for the scrape benchmarks: `ours` (selfheal serve), `naive` (the same monitor and the
// same series, rendered by prom-client on every scrape) or `receiver` (ours with the webhook).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { fixedResources } from '../src/detect/resources';
import { silentLogger } from '../src/serve/logger';
import { Service } from '../src/serve/service';
import { HEALTH_STATUSES } from '../src/types';
import { benchPlatform } from './fixture';
import { createReceiver } from '../src/execute/receiver';

/** The per-subsystem families as a naive exporter writes them: prom-client metrics, set each cycle. */
function naiveSubsystemFamilies(svc: Service): Registry {
  const registry = new Registry();
  const help = 'as of the last check cycle';
  const status = new Gauge({ name: 'selfheal_subsystem_status', help, labelNames: ['subsystem', 'status'], registers: [registry] });
  const duration = new Gauge({ name: 'selfheal_subsystem_check_duration_seconds', help, labelNames: ['subsystem'], registers: [registry] });
  const failures = new Gauge({ name: 'selfheal_subsystem_consecutive_failures', help, labelNames: ['subsystem'], registers: [registry] });
  const errors = new Counter({ name: 'selfheal_subsystem_check_errors_total', help, labelNames: ['subsystem'], registers: [registry] });
  const updated = new Gauge({ name: 'selfheal_subsystem_last_update_timestamp_seconds', help, labelNames: ['subsystem'], registers: [registry] });
  const counted = new Map<string, number>();
  const fill = () => {
    for (const sub of svc.monitor.subsystems) {
      const st = svc.monitor.state.get(sub.name);
      const subsystem = sub.name;
      for (const s of HEALTH_STATUSES) status.set({ subsystem, status: s }, (st?.result.health.status ?? 'unknown') === s ? 1 : 0);
      duration.set({ subsystem }, (st?.result.health.response_time_ms ?? 0) / 1000);
      failures.set({ subsystem }, st?.history.consecutive_failures ?? 0);
      errors.inc({ subsystem }, (st?.errorsTotal ?? 0) - (counted.get(subsystem) ?? 0));
      counted.set(subsystem, st?.errorsTotal ?? 0);
      const ev = st?.result.outcome.evidence_ms;
      if (ev === undefined) updated.remove({ subsystem });
      else updated.set({ subsystem }, ev / 1000);
    }
  };
  fill();
  svc.monitor.on('cycle', fill);
  return registry;
}

async function main() {
  const [mode, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  const { config } = benchPlatform(n);
  let port: number;
  if (mode === 'receiver') config.receiver.bearer_token = 'bench-token';
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger(), watchFiles: false });
  if (mode === 'ours' || mode === 'receiver') {
    if (mode === 'receiver') svc.use(createReceiver(svc));
    port = (await svc.start('127.0.0.1', 0)).port;
  } else {
    // The naive exporter: the same monitor and series, rendered by prom-client on every scrape.
    await svc.monitor.start();
    const registry = Registry.merge([naiveSubsystemFamilies(svc), svc.metrics.registry]);
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
