// Issue 12, process hygiene of recovery handlers: environment, process groups, completion, answers.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runExec } from '../../src/handlers/exec';
import type { ActionContext } from '../../src/handlers/handler';
import { runHttp } from '../../src/handlers/http';
import { tempDir } from '../helpers/fs';
import { until } from '../helpers/process';

const ctx: ActionContext = {
  action: 'restart_subsystem',
  subsystem: 'orchestrator',
  severity: 'critical',
  alertname: 'A',
  fingerprint: 'f',
  startsAt: '2026-11-29T12:00:00Z',
  labels: {},
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A node script as argv. */
const node = (code: string) => [process.execPath, '-e', code];

describe('exec handlers', () => {
  it('get a minimal environment: no selfheal credentials unless listed in env:', async () => {
    const dir = tempDir();
    const out = join(dir, 'env.json');
    const saved = { ...process.env };
    after(() => {
      process.env = saved;
    });
    Object.assign(process.env, {
      SELFHEAL_API_TOKEN: 'api-secret',
      SELFHEAL_WEBHOOK_TOKEN: 'hook-secret',
      AWS_SECRET_ACCESS_KEY: 'aws',
      PLATFORM_URL: 'http://p',
      TZ: 'UTC',
    });
    const dump = node(`require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env))`);
    assert.equal((await runExec(dump, ctx, 20)).ok, true);
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    assert.deepEqual(
      Object.keys(env)
        .filter((k) => !k.startsWith('SELFHEAL_'))
        .sort(),
      ['HOME', 'LANG', 'PATH', 'TZ'].filter((k) => k in process.env).sort(),
    );
    assert.equal(env.SELFHEAL_ACTION, 'restart_subsystem');
    assert.ok(!('SELFHEAL_API_TOKEN' in env) && !('SELFHEAL_WEBHOOK_TOKEN' in env) && !('AWS_SECRET_ACCESS_KEY' in env));
    await runExec(dump, ctx, 20, ['PLATFORM_URL', 'SELFHEAL_API_TOKEN']);
    const listed = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    assert.deepEqual(
      [listed.PLATFORM_URL, listed.SELFHEAL_API_TOKEN, listed.SELFHEAL_WEBHOOK_TOKEN],
      ['http://p', 'api-secret', undefined],
    );
  });

  it('done when the handler exits, even if a background child it forked still holds its stdout', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'bg.pid');
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); console.log('restarted'); process.exit(0);`;
    const r = await runExec(node(script), ctx, 30);
    const bg = Number(readFileSync(pidFile, 'utf8'));
    after(() => alive(bg) && process.kill(bg, 'SIGKILL'));
    assert.deepEqual(r, { ok: true, detail: 'exit 0; output: restarted' });
    assert.ok(alive(bg), 'a child it leaves behind on success is its business (a restarted daemon)');
  });

  it('a timeout kills the whole process group', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'bg.pid');
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setTimeout(() => {}, 60000);`;
    const r = await runExec(node(script), ctx, 1);
    assert.equal(r.ok, false);
    assert.match(r.detail, /timed out after 1s/);
    assert.ok(existsSync(pidFile));
    const bg = Number(readFileSync(pidFile, 'utf8'));
    after(() => alive(bg) && process.kill(bg, 'SIGKILL'));
    await until('the grandchild is gone', async () => !alive(bg), 20_000);
  });
});

describe('http handlers', () => {
  it('an endless answer is read up to 64 KiB, not whole', async () => {
    let wrote = 0;
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        // Bounded: 512 MiB at most; a client reading it all would take the test's whole timeout.
        while (wrote < 512 * 1024 * 1024 && res.write(chunk)) wrote += chunk.length;
        if (wrote < 512 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      pump();
      res.on('close', () => undefined);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    after(() => {
      srv.closeAllConnections();
      srv.close();
    });
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/pause`;
    const r = await runHttp({ url, method: 'POST', headers: {} }, ctx, 120);
    assert.equal(r.ok, true);
    assert.match(r.detail, /^HTTP 200: a+…$/);
    assert.ok(wrote < 512 * 1024 * 1024, 'the answer was not read to the end');
  });
});
