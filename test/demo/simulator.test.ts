// Issue 25: the demo's in-process simulator out of file descriptors. A real `selfheal serve` on the
// bundled demo config, its descriptor limit lowered from outside (prlimit) until every open fails
// with EMFILE, then raised again.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers/fs';
import { BIN, freePort, ready, until } from '../helpers/process';

const DEMO = resolve(__dirname, '../../../demo/selfheal.yml');

/** The process's soft and hard limits on open files. */
function nofile(pid: number): { soft: string; hard: string } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  assert.ok(m, 'no Max open files in /proc/PID/limits');
  return { soft: m[1], hard: m[2] };
}

function prlimit(pid: number, soft: string, hard: string): void {
  const r = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:${hard}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, `prlimit: ${r.stderr}`);
}

describe('the demo simulator out of file descriptors (EMFILE)', () => {
  it('logs it and retries every tick; the service does not crash; the platform comes back when descriptors do', async () => {
    const dir = tempDir('selfheal-emfile-');
    const config = join(dir, 'selfheal.yml');
    copyFileSync(DEMO, config);
    appendFileSync(config, '\nmax_cpu_percent: 100\nmax_memory_percent: 100\n');
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [BIN, 'serve', '--config', config, '--port', String(port), '--log-level', 'info', '--log.format', 'json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    proc.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (logs += d.toString()));
    let exited: number | string | null = null;
    proc.on('exit', (code, signal) => (exited = code ?? signal));
    after(() => proc.kill('SIGKILL'));
    await ready(port);
    const pid = proc.pid!;
    const limits = nofile(pid);
    const heartbeat = join(dir, 'run', 'data', 'event_executor_state.json');

    // A soft limit of 3: stdin, stdout and stderr are 0–2, so every new descriptor fails with EMFILE
    // (the ones open stay usable), whatever the process closes meanwhile.
    assert.ok(readdirSync(`/proc/${pid}/fd`).length > 3);
    prlimit(pid, '3', limits.hard);
    await until('the simulator reports EMFILE', async () => /demo simulator could not write the platform files/.test(logs), 30_000);
    assert.match(logs, /"code":"EMFILE"/);
    const stalledAt = statSync(heartbeat).mtimeMs;
    await new Promise((r) => setTimeout(r, 3000)); // three more ticks without descriptors
    assert.equal(exited, null, 'the service is still running');
    assert.equal((logs.match(/demo simulator could not write the platform files/g) ?? []).length, 1, 'one line, not one a tick');

    prlimit(pid, limits.soft, limits.hard);
    await until('the simulator recovers', async () => /demo simulator recovered/.test(logs), 30_000);
    await until('the heartbeat is written again', async () => statSync(heartbeat).mtimeMs > stalledAt, 30_000);
    await until('ready again', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok, 60_000);
    assert.equal(exited, null);
    assert.match(logs, /"failed_ticks":[3-9]|"failed_ticks":\d\d/);
  });
});
