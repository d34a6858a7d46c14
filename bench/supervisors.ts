// Issue 23's figures: heartbeat stop → supervisor-confirmed restart → verified, for a busybox container
// under the Docker Engine and a unit under a real systemd in a container, 10 times each (medians).
// The settings are the e2e test's: checked every 1 s, degraded at 2 s without a heartbeat, settle 1 s.
// Run: npm run bench:supervisors (as root, with a Docker Engine on /var/run/docker.sock).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../src/config/types';
import { fixedResources } from '../src/detect/resources';
import type { JournalRecord } from '../src/execute/journal';
import { silentLogger } from '../src/log/logger';
import { createReceiver } from '../src/serve/receiver';
import { Service } from '../src/serve/service';
import { docker, ensureImages, removeContainers, uniqueName } from '../test/helpers/docker';
import { hang, heartbeatSec, supervisedConfig, TIMING } from '../test/helpers/supervisors';

const RUNS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Run {
  /** Heartbeat stop → the supervisor confirmed the restart. */
  confirmed: number;
  /** Heartbeat stop → VERIFY judged it healthy. */
  verified: number;
  /** The handler alone: asking the supervisor → its confirmation. */
  supervisor: number;
}

async function measure(config: Config, hb: string): Promise<Run[]> {
  const svc = new Service(config, { resources: fixedResources(), logger: silentLogger() });
  const receiver = createReceiver(svc);
  svc.use(receiver);
  const { port } = await svc.start('127.0.0.1', 0);
  const policy = async () => ((await (await fetch(`http://127.0.0.1:${port}/policy`)).json()) as { policy: string }).policy;
  const done = new Set<string>();
  const runs: Run[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      await until('allow_all', async () => (await policy()) === 'allow_all');
      const stoppedAt = Date.now();
      await hang(hb);
      let rec: JournalRecord | undefined;
      await until('a verified restart', () => {
        rec = receiver.store
          .history(50)
          .find((r) => r.action === 'restart_subsystem' && r.state === 'succeeded' && !done.has(r.id) && (r.started_at ?? 0) >= stoppedAt);
        return rec !== undefined;
      });
      if (!rec || rec.verify_at === null || rec.started_at === null || rec.finished_at === null) throw new Error('incomplete record');
      done.add(rec.id);
      // The executor set verify_at = confirmation + settle_sec when the supervisor confirmed.
      const confirmedAt = rec.verify_at - TIMING.settle_sec * 1000;
      runs.push({ confirmed: confirmedAt - stoppedAt, verified: rec.finished_at - stoppedAt, supervisor: confirmedAt - rec.started_at });
      await until('the heartbeat resumed', () => !existsSync(join(hb, 'hang')) && (heartbeatSec(hb) ?? 0) * 1000 >= stoppedAt);
    }
  } finally {
    await svc.stop();
  }
  return runs;
}

function report(kind: string, runs: Run[]): void {
  const row = (k: keyof Run) =>
    `${median(runs.map((r) => r[k]))} (${Math.min(...runs.map((r) => r[k]))}–${Math.max(...runs.map((r) => r[k]))})`;
  console.log(`| ${kind} | ${runs.length} | ${row('confirmed')} | ${row('verified')} | ${row('supervisor')} |`);
}

async function main(): Promise<void> {
  const images = await ensureImages(['busybox', 'systemd']);
  console.log('| supervisor | runs | stop → confirmed restart, ms: median (min–max) | stop → verified | supervisor call → confirmation |');
  console.log('|---|---|---|---|---|');
  const scratch = () => mkdtempSync(join(tmpdir(), 'selfheal-bench-'));
  {
    const hb = scratch();
    const name = uniqueName('bench-executor');
    try {
      docker(['run', '-d', '--name', name, '--network', 'none', '-v', `${hb}:/hb`, images.busybox]);
      await until('heartbeats', () => heartbeatSec(hb) !== null);
      report(
        'docker (busybox container)',
        await measure(supervisedConfig(scratch(), hb, { docker: { container: name, stop_timeout_sec: 5 } }), hb),
      );
    } finally {
      removeContainers(name);
      rmSync(hb, { recursive: true, force: true });
    }
  }
  {
    const hb = scratch();
    const bus = scratch();
    const name = uniqueName('bench-systemd');
    try {
      docker([
        ...['run', '-d', '--name', name, '--network', 'none', '--cap-add', 'SYS_ADMIN', '-v', '/sys/fs/cgroup:/sys/fs/cgroup:ro'],
        ...['--tmpfs', '/run', '--tmpfs', '/run/lock', '-v', `${bus}:/run/dbus`, '-v', `${hb}:/hb`, images.systemd],
      ]);
      await until('systemd and heartbeats', () => existsSync(join(bus, 'system_bus_socket')) && heartbeatSec(hb) !== null);
      const address = `unix:path=${join(bus, 'system_bus_socket')}`;
      report(
        'systemd (unit, D-Bus)',
        await measure(supervisedConfig(scratch(), hb, { systemd: { unit: 'heartbeat.service', address } }), hb),
      );
    } finally {
      removeContainers(name);
      rmSync(hb, { recursive: true, force: true });
      rmSync(bus, { recursive: true, force: true });
    }
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
