// `selfheal demo reset`: back to the first start — every directory the demo config names is gone, and
// nothing else is — refused while a selfheal process runs the demo on those files, refused on a
// config that is not a demo or names a directory outside its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load';
import { demoRunners, resetTargets } from '../../src/demo/reset';
import { startSimulator, writeDemoFaults } from '../../src/demo/simulator';
import { cli } from '../helpers/cli';
import { tempDir } from '../helpers/fs';

const DEMO = resolve(__dirname, '../../../demo/selfheal.yml');

function demoCopy(edit: (yml: string) => string = (s) => s): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'selfheal.yml');
  writeFileSync(file, edit(readFileSync(DEMO, 'utf8')));
  return { dir, file };
}

/** A demo as a run leaves it: the simulator's files, a journal, a latch, a fault. */
function used(file: string) {
  const config = loadConfigFile(file);
  startSimulator(config)();
  writeFileSync(config.recovery.journal_path, 'journal');
  writeFileSync(join(config.data_dir, 'selfheal_latch.json'), '{}');
  writeDemoFaults(config.data_dir, { faults: ['event_executor'], stubborn: ['event_executor'], restarts: { event_executor: 3 } });
  return config;
}

describe('demo reset', () => {
  it('removes every directory the demo wrote (demo/run/ included) and nothing else', async () => {
    const { dir, file } = demoCopy();
    used(file);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'run', 'selfheal.yml']);
    const r = await cli(['demo', 'reset', '--config', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /reset: removed .*run\/data.*journal and breaker history, latch/);
    assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'selfheal.yml']);
    const again = await cli(['demo', 'reset', '--config', file]);
    assert.equal(again.code, 0);
    assert.match(again.out, /nothing to remove; the demo is at its first start already/);
    assert.match((await cli(['demo', 'status', '--config', file])).out, /^faulted: none\nstubborn: none\nrestarts carried out: none$/m);
  });

  it('is refused while a process runs the demo on the files (exit 1, nothing removed); a killed one does not count', async () => {
    const { file } = demoCopy();
    const config = used(file);
    // A real process standing in for a running `selfheal serve`: its marker, as the simulator writes it.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    after(() => child.kill('SIGKILL'));
    const marker = join(config.data_dir, `demo_simulator.${child.pid}.pid`);
    writeFileSync(marker, JSON.stringify({ pid: child.pid, command: 'bin/selfheal.js serve --config selfheal.yml' }));
    assert.deepEqual(demoRunners(config), [{ pid: child.pid, command: 'bin/selfheal.js serve --config selfheal.yml' }]);
    const r = await cli(['demo', 'reset', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(`the demo is running on these files: pid ${child.pid} \\(bin/selfheal.js serve --config selfheal.yml\\)`),
    );
    assert.match(r.err, /Stop it first \(Ctrl-C in its terminal\)/);
    assert.ok(existsSync(config.recovery.journal_path), 'nothing removed');

    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGKILL');
    await exited;
    assert.deepEqual(demoRunners(config), [], 'the marker of a killed process is ignored');
    const ok = await cli(['demo', 'reset', '--config', file]);
    assert.equal(ok.code, 0, ok.err);
    assert.ok(!existsSync(config.data_dir));
  });

  it('the simulator marks the files while it runs and unmarks them when stopped', () => {
    const { file } = demoCopy();
    const config = loadConfigFile(file);
    const stop = startSimulator(config);
    assert.ok(readdirSync(config.data_dir).includes(`demo_simulator.${process.pid}.pid`));
    stop();
    assert.ok(!readdirSync(config.data_dir).some((n) => n.startsWith('demo_simulator.')));
  });

  const refused: [string, [string, string], RegExp][] = [
    ['not a demo config', ['enabled: true', 'enabled: false'], /is not a demo config \(demo\.enabled is not true\)/],
    [
      "a directory outside the config's own",
      ['log_dir: run/logs', 'log_dir: /var/log'],
      /log_dir \(\/var\/log\) is not inside .*reset removes only the demo's own directories/,
    ],
    ["data_dir as the config's own directory", ['data_dir: run/data', 'data_dir: .'], /data_dir \(.*\) is not inside/],
  ];
  for (const [name, [from, to], msg] of refused) {
    it(`refused (exit 3) on ${name}; nothing removed`, async () => {
      const { dir, file } = demoCopy((s) => s.replace(from, to));
      mkdirSync(join(dir, 'run', 'data'), { recursive: true });
      const r = await cli(['demo', 'reset', '--config', file]);
      assert.equal(r.code, 3, r.out);
      assert.match(r.err, msg);
      assert.ok(existsSync(join(dir, 'run', 'data')));
      assert.ok(existsSync(file));
    });
  }

  it('targets one entry per directory, none inside another', () => {
    const { file } = demoCopy();
    assert.deepEqual(
      resetTargets(loadConfigFile(file)).map(([key]) => key),
      ['data_dir', 'log_dir', 'models_dir', 'database_path'],
    );
  });
});
