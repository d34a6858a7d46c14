// `selfheal demo fault NAME`: what it says is derived from the check type and the guide's selection
// (not a list per subsystem), and what it says is what then happens: the onset it announces is the
// status the real check reports once the simulator has withheld the evidence that long.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load';
import { faultPlan } from '../../src/demo/fault';
import { simulate } from '../../src/demo/simulator';
import { runChecker } from '../../src/detect/registry';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/fs';

const DEMO = resolve(__dirname, '../../../demo/selfheal.yml');

function demoCopy(extra = ''): string {
  const file = join(tempDir(), 'selfheal.yml');
  copyFileSync(DEMO, file);
  if (extra) appendFileSync(file, extra);
  return file;
}

describe('demo fault: the plan, from the registry and the action table', () => {
  const config = loadConfigFile(DEMO);
  const plan = (name: string) =>
    faultPlan(
      config,
      config.subsystems.find((s) => s.name === name)!,
    )!;
  const table: [string, string[], boolean][] = [
    // subsystem, "after status → policy action" per step, does the simulated supervisor repair it
    ['event_executor', ['5 degraded no_new_trades -', '10 critical defensive_exit restart_subsystem'], true],
    ['data_feed', ['5 degraded no_new_trades -', '10 critical defensive_exit pause_trading'], false],
    ['ai_model', ['0 critical no_new_trades disable_module'], false],
    ['database', ['0 critical no_new_trades restart_subsystem'], true],
    ['logging', ['10 degraded no_new_trades -', '30 critical no_new_trades restart_subsystem'], true],
  ];
  for (const [name, steps, repaired] of table) {
    it(`${name}: ${steps.join('; ')}; ${repaired ? 'the supervisor restarts it' : 'nothing repairs it'}`, () => {
      const p = plan(name);
      assert.deepEqual(
        p.steps.map((s) => `${s.after_sec} ${s.status} ${s.policy} ${s.action ?? '-'}`),
        steps,
      );
      assert.equal(p.repaired, repaired);
    });
  }

  it('what it announces is what the real check then reports (every file check of the demo)', async () => {
    for (const sub of config.subsystems) {
      const p = faultPlan(config, sub);
      if (!p) continue;
      // The subsystem's own evidence, relocated into a temp dir of its own.
      const local = loadConfigFile(demoCopy());
      const s = local.subsystems.find((x) => x.name === sub.name)!;
      // Written now; "the fault" a second later, so the evidence is older than t0 by up to a second
      // (under the 5 s between any two thresholds): each step is checked just past its announced time.
      const t0 = Date.now() + 1000;
      simulate(s, false, t0 - 1000);
      simulate(s, true, t0);
      for (const step of p.steps) {
        const now = t0 + step.after_sec * 1000 + 1;
        const out = await runChecker(s.check, { now, signal: AbortSignal.timeout(5000) });
        assert.equal(out.status, step.status, `${sub.name} ${step.after_sec} s after the fault`);
      }
    }
  });
});

describe('demo fault: the message', () => {
  const cases: [string, string[], RegExp[], RegExp[]][] = [
    [
      'event_executor',
      [],
      [
        /heartbeat stopped: event_executor_state\.json's last_cycle_timestamp no longer advances/,
        /runs restart_subsystem/,
        /obeys event_executor_restart_requested\.flag/,
      ],
      [/Nothing in the demo repairs/],
    ],
    [
      'event_executor',
      ['--stubborn'],
      [/--stubborn: .* each restart_subsystem fails verification; after 3 failures in a row .* emergency_shutdown, latched/],
      [/comes back/],
    ],
    [
      'data_feed',
      [],
      [
        /universe_snapshot\.json is no longer written/,
        /runs pause_trading: holds a no_new_trades floor while data_feed is critical/,
        /Nothing in the demo repairs data_feed/,
      ],
      [/heartbeat stopped/, /restart_subsystem/],
    ],
    [
      'ai_model',
      [],
      [
        /3 of 4 files removed from models\/ \(lgbm_model\.pkl, nhits_model\.pth, patchtst_model\.pth; 1 left\)/,
        /at once +critical → policy no_new_trades; runs disable_module/,
      ],
      [/heartbeat stopped/, /defensive_exit/],
    ],
  ];
  for (const [name, flags, present, absent] of cases) {
    it(`${name} ${flags.join(' ')}`.trim(), async () => {
      const r = await cli(['demo', 'fault', name, ...flags, '--config', demoCopy()]);
      assert.equal(r.code, 0, r.err);
      for (const re of present) assert.match(r.out, re);
      for (const re of absent) assert.doesNotMatch(r.out, re);
    });
  }

  it('a second fault says the first is still there', async () => {
    const file = demoCopy();
    await cli(['demo', 'fault', 'data_feed', '--config', file]);
    const r = await cli(['demo', 'fault', 'ai_model', '--config', file]);
    assert.match(r.out, /Still faulted: data_feed\. \/policy serves the strictest/);
  });

  it('a network check cannot be faulted: exit 3, and nothing is recorded', async () => {
    const file = demoCopy('\n  web: { check: http, url: "http://127.0.0.1:9/" }\n');
    const r = await cli(['demo', 'fault', 'web', '--config', file]);
    assert.equal(r.code, 3);
    assert.match(r.err, /web: its http check probes the network; the demo cannot break it/);
    assert.match((await cli(['demo', 'status', '--config', file])).out, /^faulted: none$/m);
  });

  it('an unknown subsystem or no subsystem: exit 3 naming the choices', async () => {
    const file = demoCopy();
    const r = await cli(['demo', 'fault', 'nope', '--config', file]);
    assert.equal(r.code, 3);
    assert.match(r.err, /unknown subsystem "nope" \(one of data_feed, /);
    const n = await cli(['demo', 'fault', '--config', file]);
    assert.equal(n.code, 3);
    assert.match(n.err, /fault: which subsystem\?/);
  });
});
