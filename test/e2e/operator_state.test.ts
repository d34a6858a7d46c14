// Operator state survives restarts (issue 22): an override (with its expiry), a maintenance window and
// a protective floor are back before the restarted service is ready, after SIGTERM or kill -9; and a
// handler that was running when selfheal died is waited for (or ended) before its re-run: two copies of
// a pause or close-all script never run at once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load';
import { FixturePlatform, slowSubsystems } from '../helpers/e2e';
import { tempDir } from '../helpers/fs';
import { freePort, processConfig, serve, until } from '../helpers/process';
import { delivery, postHook } from '../helpers/receiver';

const OP = { authorization: 'Bearer op', 'content-type': 'application/json' };

function setup(sleepSec = 4) {
  const root = tempDir('selfheal-opstate-');
  const lock = join(root, 'pause.lock');
  const runs = join(root, 'runs.log');
  const script = join(root, 'pause.sh');
  // A pause handler that takes `sleepSec`, and notices if another copy of itself is running.
  writeFileSync(
    script,
    `#!/bin/sh\nmkdir '${lock}' 2>/dev/null || echo two-copies >> '${runs}'\necho start >> '${runs}'\nsleep ${sleepSec}\necho end >> '${runs}'\nrmdir '${lock}'\n`,
  );
  return { root, runs, script };
}

async function writeConfig(root: string, script: string): Promise<{ cfgPath: string; port: number }> {
  const port = await freePort();
  const cfgPath = join(root, 'selfheal.yml');
  writeFileSync(
    cfgPath,
    stringify(
      processConfig(port, {
        api: { token: 'op' },
        receiver: { bearer_token: 'hook-token' },
        recovery: { handlers: [{ action: 'pause_trading', exec: ['/bin/sh', script], timeout_sec: 20 }] },
        subsystems: slowSubsystems(),
      }),
    ),
  );
  return { cfgPath, port };
}

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('e2e: operator state and a running handler across a restart of selfheal', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(
      `${signal}: override, maintenance and the pause floor are back before ready; the handler never runs twice at once`,
      { timeout: 150_000 },
      async () => {
        const { root, runs, script } = setup();
        const { cfgPath, port } = await writeConfig(root, script);
        const platform = new FixturePlatform(loadConfigFile(cfgPath));
        platform.start();
        after(() => platform.stop());
        const url = `http://127.0.0.1:${port}`;
        let child = serve(cfgPath);
        after(() => child.kill('SIGKILL'));
        await until('ready', async () => (await fetch(`${url}/-/ready`)).ok);
        const ov = await fetch(`${url}/policy/override`, {
          method: 'POST',
          headers: OP,
          body: JSON.stringify({ policy: 'defensive_exit', duration_sec: 600, reason: 'desk drill' }),
        });
        assert.equal(ov.status, 200);
        const mw = await fetch(`${url}/recovery/maintenance`, {
          method: 'POST',
          headers: OP,
          body: JSON.stringify({ subsystem: 'ai_model', duration_sec: 600, reason: 'model swap' }),
        });
        assert.equal(mw.status, 200);
        const hook = await postHook(
          url,
          delivery([{ labels: { subsystem: 'data_feed', action: 'pause_trading', issue_severity: 'critical' }, fingerprint: 'pause-1' }]),
        );
        assert.equal(hook.status, 200);
        await until('the pause handler is running', async () => lines(runs).includes('start'), 30_000);

        child.kill(signal);
        await new Promise((r) => child.once('exit', r));
        child = serve(cfgPath);
        // The first answer of the restarted service that says ready already serves what the operator set.
        await until('ready again', async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 20);
        const policy = (await (await fetch(`${url}/policy`)).json()) as { policy: string; reasons: string[] };
        assert.equal(policy.policy, 'defensive_exit');
        assert.ok(
          policy.reasons.some((r) => r === 'override by operator: desk drill'),
          policy.reasons.join(' | '),
        );
        const windows = (await (await fetch(`${url}/recovery/maintenance`)).json()) as { maintenance: { subsystem: string }[] };
        assert.deepEqual(
          windows.maintenance.map((w) => w.subsystem),
          ['ai_model'],
        );
        const floors = (await (await fetch(`${url}/recovery/floors`, { headers: OP })).json()) as { floors: { action: string }[] };
        assert.deepEqual(
          floors.floors.map((f) => f.action),
          ['pause_trading'],
        );

        await until(
          'the handler finished (and any re-run of it)',
          async () => lines(runs).filter((l) => l === 'end').length === lines(runs).filter((l) => l === 'start').length,
          60_000,
        );
        await until(
          'the action settled',
          async () => {
            const h = (await (await fetch(`${url}/recovery/history`, { headers: OP })).json()) as { fingerprint: string; state: string }[];
            return h.some((r) => r.fingerprint === 'pause-1' && r.state === 'succeeded');
          },
          60_000,
        );
        assert.ok(!lines(runs).includes('two-copies'), `never two copies at once: ${lines(runs).join(',')}`);
        // Run once, plus once more for each interruption the journal records: a kill -9 always interrupts it; a
        // SIGTERM only if the handler outlived the 5 s shutdown grace (it takes 4 s, so normally not).
        const pause = (
          (await (await fetch(`${url}/recovery/history`, { headers: OP })).json()) as { fingerprint: string; reason: string }[]
        ).filter((r) => r.fingerprint === 'pause-1');
        const interrupted = pause.filter((r) => r.reason.includes('interrupted by a restart')).length;
        if (signal === 'SIGKILL') assert.equal(interrupted, 1, 'a kill -9 interrupts the running handler');
        assert.equal(
          lines(runs).filter((l) => l === 'start').length,
          1 + interrupted,
          'run again only after an interruption, after the first copy ended',
        );
        // The override keeps its expiry: still in force, still the operator's.
        assert.equal(((await (await fetch(`${url}/policy`)).json()) as { policy: string }).policy, 'defensive_exit');
      },
    );
  }

  it(
    'SIGKILL, then the alert resolves while the restarted service waits for the interrupted handler: cancelled, never run again',
    { timeout: 150_000 },
    async () => {
      const { root, runs, script } = setup(12);
      const { cfgPath, port } = await writeConfig(root, script);
      const platform = new FixturePlatform(loadConfigFile(cfgPath));
      platform.start();
      after(() => platform.stop());
      const url = `http://127.0.0.1:${port}`;
      let child = serve(cfgPath);
      after(() => child.kill('SIGKILL'));
      await until('ready', async () => (await fetch(`${url}/-/ready`)).ok);
      const pause = { subsystem: 'data_feed', action: 'pause_trading', issue_severity: 'critical' };
      assert.equal((await postHook(url, delivery([{ labels: pause, fingerprint: 'pause-1' }]))).status, 200);
      await until('the pause handler is running', async () => lines(runs).includes('start'), 30_000);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = serve(cfgPath);
      await until('ready again', async () => (await fetch(`${url}/-/ready`)).ok, 60_000, 20);
      // Passes while the first copy still runs (each delivery starts one), then the resolve.
      const other = { subsystem: 'orchestrator', action: 'restart_subsystem', issue_severity: 'high' };
      assert.equal((await postHook(url, delivery([{ labels: other, fingerprint: 'other-1' }]))).status, 200);
      assert.equal((await postHook(url, delivery([{ labels: pause, fingerprint: 'pause-1', status: 'resolved' }]))).status, 200);
      assert.deepEqual(lines(runs), ['start'], 'the resolve came while the first copy was still running');
      const history = async () =>
        (await (await fetch(`${url}/recovery/history`, { headers: OP })).json()) as {
          fingerprint: string;
          state: string;
          action: string;
        }[];
      assert.ok(
        (await history()).some((r) => r.fingerprint === 'pause-1' && r.action === 'pause_trading' && r.state === 'cancelled'),
        'the resolve cancelled it',
      );
      await until('the first copy ended', async () => lines(runs).includes('end'), 60_000);
      // The restarted service polls the first copy's process group every 100 ms: a re-run, had one been
      // admitted, would start within a few polls of its end. Watch 30 polls' worth.
      for (const stop = Date.now() + 3_000; Date.now() < stop;) {
        assert.deepEqual(lines(runs), ['start', 'end'], 'never run again after its alert resolved');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(lines(runs), ['start', 'end'], 'never run again after its alert resolved');
      const states = (await history()).filter((r) => r.fingerprint === 'pause-1' && r.action === 'pause_trading').map((r) => r.state);
      assert.deepEqual(states, ['cancelled']);
    },
  );
});
