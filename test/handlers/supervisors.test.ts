// The docker and systemd handler kinds against the real engines: what each asks, what each reads
// back as evidence, and each error named with its target and cause — whose fault it is included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DockerSpec } from '../../src/handlers/docker';
import { dockerHandler } from '../../src/handlers/docker';
import type { ActionContext, EffectResult } from '../../src/handlers/handler';
import { systemdHandler, type SystemdSpec } from '../../src/handlers/systemd';
import { docker, DOCKER_SOCKET, ensureImages, removeContainers, type TestImages } from '../helpers/docker';
import { tempDir } from '../helpers/fs';
import { startBusyboxExecutor, startSystemdExecutor } from '../helpers/supervisors';

const ctx: ActionContext = {
  action: 'restart_subsystem',
  subsystem: 'event_executor',
  severity: 'critical',
  alertname: 'A',
  fingerprint: 'f',
  startsAt: '2026-11-29T12:00:00Z',
  labels: {},
};

/** A Unix socket file nobody accepts on: its listener was killed, leaving the file (ECONNREFUSED). */
function deadSocket(): string {
  const path = join(tempDir(), 'dead.sock');
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  return path;
}

let images: TestImages;
before(async () => {
  images = await ensureImages(['busybox', 'systemd']);
});

describe('docker handler (a real Docker Engine)', () => {
  const spec = (container: string, extra: Partial<DockerSpec> = {}): DockerSpec => ({
    kind: 'docker',
    container,
    socket: DOCKER_SOCKET,
    stop_timeout_sec: 2,
    op: 'restart',
    ...extra,
  });

  it('restart: the Engine confirms a newer StartedAt on a running container; probe finds it', async () => {
    const name = await startBusyboxExecutor(images, tempDir());
    assert.equal(await dockerHandler.probe(spec(name), 5), null);
    const r = await dockerHandler.run(spec(name), ctx, 20);
    assert.equal(r.ok, true, r.detail);
    assert.equal(r.own_fault, undefined);
    assert.ok(r.evidence?.kind === 'docker' && r.evidence.before && r.evidence.after);
    assert.ok(r.evidence.after.started_at > r.evidence.before.started_at);
    assert.notEqual(r.evidence.after.pid, r.evidence.before.pid);
    assert.equal(docker(['inspect', '-f', '{{.State.StartedAt}}', name]), r.evidence.after.started_at);
  });

  it('restart waits for a healthcheck to pass; one that never passes is not confirmed (the platform, not us)', async () => {
    const hb = tempDir();
    const name = await startBusyboxExecutor(images, hb);
    // Recreate with a healthcheck: healthy only while a file exists in the bind-mounted dir.
    removeContainers(name);
    const withHealth = `${name}-hc`;
    after(() => removeContainers(withHealth));
    const run = (cmd: string) =>
      docker([
        'run',
        '-d',
        '--name',
        withHealth,
        '--network',
        'none',
        '-v',
        `${hb}:/hb`,
        '--health-cmd',
        cmd,
        '--health-interval',
        '1s',
        '--health-retries',
        '1',
        images.busybox,
      ]);
    run('test -e /hb/event_executor_state.json');
    const ok = await dockerHandler.run(spec(withHealth), ctx, 30);
    assert.equal(ok.ok, true, ok.detail);
    assert.ok(ok.evidence?.kind === 'docker' && ok.evidence.after?.health === 'healthy');
    removeContainers(withHealth);
    run('false');
    const never = await dockerHandler.run(spec(withHealth), ctx, 4);
    assert.equal(never.ok, false);
    assert.equal(never.own_fault, undefined, 'a supervisor that does not confirm is a failed restart, not our fault');
    assert.match(
      never.detail,
      new RegExp(`container ${withHealth} .*: restart not confirmed within 4s: running \\((starting|unhealthy)\\)`),
    );
  });

  it('stop (disable_module): the Engine confirms the container is no longer running', async () => {
    const name = await startBusyboxExecutor(images, tempDir());
    const r = await dockerHandler.run(spec(name, { op: 'stop' }), { ...ctx, action: 'disable_module' }, 20);
    assert.equal(r.ok, true, r.detail);
    assert.ok(r.evidence?.kind === 'docker' && r.evidence.op === 'stop' && r.evidence.after?.running === false);
    assert.equal(docker(['inspect', '-f', '{{.State.Running}}', name]), 'false');
  });

  const ownFaults: [string, () => Promise<DockerSpec>, RegExp][] = [
    [
      'a removed container',
      async () => {
        const name = await startBusyboxExecutor(images, tempDir());
        removeContainers(name);
        return spec(name);
      },
      /container selfheal-test-executor-\S+ \(Docker Engine at \/var\/run\/docker.sock\): no such container/,
    ],
    [
      'an absent socket',
      async () => spec('x', { socket: join(tempDir(), 'docker.sock') }),
      /container x \(Docker Engine at \S+\): no such socket \(ENOENT\)/,
    ],
    [
      'a socket nobody answers on',
      async () => spec('x', { socket: deadSocket() }),
      /container x \(Docker Engine at \S+\): nothing listens on the socket \(ECONNREFUSED\)/,
    ],
  ];
  for (const [what, make, message] of ownFaults) {
    it(`${what}: our own fault, named with target and cause, by run and by probe`, async () => {
      const s = await make();
      const r: EffectResult = await dockerHandler.run(s, ctx, 5);
      assert.equal(r.ok, false);
      assert.equal(r.own_fault, true);
      assert.match(r.detail, message);
      assert.match((await dockerHandler.probe(s, 5)) ?? '', message);
    });
  }
});

describe('systemd handler (a real systemd, over D-Bus)', () => {
  let address = '';
  const cleanups: (() => void)[] = [];
  before(async () => {
    const hb = mkdtempSync(join(tmpdir(), 'selfheal-hb-'));
    cleanups.push(() => rmSync(hb, { recursive: true, force: true }));
    ({ address } = await startSystemdExecutor(images, hb, (fn) => cleanups.push(fn)));
  });
  after(() => cleanups.forEach((fn) => fn()));
  const spec = (extra: Partial<SystemdSpec> = {}): SystemdSpec => ({
    kind: 'systemd',
    unit: 'heartbeat.service',
    bus: 'system',
    address,
    op: 'restart',
    ...extra,
  });

  it('restart: RestartUnit, the job waited for, a new MainPID and ActiveEnterTimestamp; probe finds the unit', async () => {
    assert.equal(await systemdHandler.probe(spec(), 5), null);
    const r = await systemdHandler.run(spec(), ctx, 20);
    assert.equal(r.ok, true, r.detail);
    assert.ok(r.evidence?.kind === 'systemd' && r.evidence.before && r.evidence.after);
    assert.equal(r.evidence.after.active_state, 'active');
    assert.notEqual(r.evidence.after.main_pid, r.evidence.before.main_pid);
    assert.ok(r.evidence.after.active_enter_timestamp! > r.evidence.before.active_enter_timestamp!);
  });

  it('stop (disable_module): StopUnit, confirmed inactive; a restart brings it back', async () => {
    const r = await systemdHandler.run(spec({ op: 'stop' }), { ...ctx, action: 'disable_module' }, 20);
    assert.equal(r.ok, true, r.detail);
    assert.ok(r.evidence?.kind === 'systemd' && r.evidence.after?.active_state === 'inactive' && r.evidence.after.main_pid === 0);
    const back = await systemdHandler.run(spec(), ctx, 20);
    assert.equal(back.ok, true, back.detail);
  });

  const ownFaults: [string, () => SystemdSpec, RegExp][] = [
    [
      'an unknown unit',
      () => spec({ unit: 'no-such-executor.service' }),
      /unit no-such-executor\.service \(systemd on \S+\): no such unit/,
    ],
    [
      'an absent bus socket',
      () => spec({ address: `unix:path=${join(tempDir(), 'system_bus_socket')}` }),
      /unit heartbeat\.service \(systemd on \S+\): no such socket \(ENOENT\)/,
    ],
  ];
  for (const [what, make, message] of ownFaults) {
    it(`${what}: our own fault, named with target and cause, by run and by probe`, async () => {
      const s = make();
      const r = await systemdHandler.run(s, ctx, 5);
      assert.equal(r.ok, false);
      assert.equal(r.own_fault, true);
      assert.match(r.detail, message);
      assert.match((await systemdHandler.probe(s, 5)) ?? '', message);
    });
  }

  it('a socket nobody answers on: our own fault', async () => {
    const r = await systemdHandler.run(spec({ address: `unix:path=${deadSocket()}` }), ctx, 5);
    assert.equal(r.own_fault, true);
    assert.match(r.detail, /nothing listens on the socket \(ECONNREFUSED\)/);
  });
});
