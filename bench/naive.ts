// The naive exporter the benchmarks compare against: what a straightforward prom-client exporter of
// the same contract does. Each cycle runs every check, builds the report, sets every gauge and writes
// the report file in one go; every scrape renders the registry; it re-checks on a fixed interval only.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Config } from '../src/config/types';
import type { ResourceProbe } from '../src/detect/resources';
import { runCycle } from '../src/engine/cycle';
import { writeReportAtomic } from '../src/engine/report_file';
import { Metrics } from '../src/metrics/metrics';
import { HEALTH_STATUSES, type HealthReport } from '../src/types';
import { BUILD } from '../src/version';

export class NaiveExporter extends EventEmitter {
  readonly registry: Registry;
  private readonly common = new Metrics(BUILD, []);
  private readonly perSubsystem = new Registry();
  private readonly help = 'as of the last check cycle';
  private readonly status = new Gauge({
    name: 'selfheal_subsystem_status',
    help: this.help,
    labelNames: ['subsystem', 'status'],
    registers: [this.perSubsystem],
  });
  private readonly duration = new Gauge({
    name: 'selfheal_subsystem_check_duration_seconds',
    help: this.help,
    labelNames: ['subsystem'],
    registers: [this.perSubsystem],
  });
  private readonly failures = new Gauge({
    name: 'selfheal_subsystem_consecutive_failures',
    help: this.help,
    labelNames: ['subsystem'],
    registers: [this.perSubsystem],
  });
  private readonly errors = new Counter({
    name: 'selfheal_subsystem_check_errors_total',
    help: this.help,
    labelNames: ['subsystem'],
    registers: [this.perSubsystem],
  });
  private readonly updated = new Gauge({
    name: 'selfheal_subsystem_last_update_timestamp_seconds',
    help: this.help,
    labelNames: ['subsystem'],
    registers: [this.perSubsystem],
  });
  private timer: NodeJS.Timeout | null = null;
  report: HealthReport | null = null;

  constructor(
    private readonly config: Config,
    private readonly resources: ResourceProbe,
  ) {
    super();
    // process_* and nodejs_* the usual way: read by collect() on every scrape.
    const defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      defaults.removeSingleMetric(name);
    this.registry = Registry.merge([this.perSubsystem, this.common.registry, defaults]);
  }

  async cycle(): Promise<HealthReport> {
    const started = performance.now();
    const { report, results } = await runCycle(this.config, { clock: Date.now, resources: this.resources });
    for (const [subsystem, r] of results) {
      for (const s of HEALTH_STATUSES) this.status.set({ subsystem, status: s }, r.health.status === s ? 1 : 0);
      this.duration.set({ subsystem }, r.health.response_time_ms / 1000);
      this.failures.set({ subsystem }, r.health.status === 'critical' || r.health.status === 'failed' ? 1 : 0);
      this.errors.inc({ subsystem }, r.errored ? 1 : 0);
      if (r.outcome.evidence_ms === undefined) this.updated.remove({ subsystem });
      else this.updated.set({ subsystem }, r.outcome.evidence_ms / 1000);
    }
    this.common.setReport(report, Date.now(), (performance.now() - started) / 1000);
    writeReportAtomic(this.config.report_path, report);
    this.report = report;
    this.emit('cycle', report, Date.now());
    return report;
  }

  /** Cycles every critical_check_interval (one interval for everything, the fastest of the two). */
  start(): void {
    this.timer = setInterval(() => void this.cycle(), this.config.critical_check_interval * 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async listen(): Promise<{ server: Server; port: number }> {
    const server = createServer(async (_req, res) => {
      const text = await this.registry.metrics();
      res.setHeader('Content-Type', this.registry.contentType);
      res.end(text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, port: (server.address() as AddressInfo).port };
  }
}
