// Help on every command and subcommand, discovered from the CLI's own table (src/cli.ts COMMANDS):
// `--help` and `-h` exit 0 with that entry's own usage, its flags and an example, and every option a
// command parses is in its help — a command (or a flag) cannot be added without it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli';
import { cli } from '../helpers/cli';
import { BIN } from '../helpers/process';

const entries = Object.entries(COMMANDS).flatMap(([name, c]) =>
  [c.help.help, ...c.help.subcommands].map((h) => ({ name, words: h.command.split(' ').slice(1), help: h })),
);

describe('help on every command and subcommand (from the CLI table)', () => {
  it('the table holds every command and the subcommands the issue names', () => {
    const all = entries.map((e) => e.help.command);
    for (const c of [
      'check',
      'serve',
      'demo fault',
      'demo reset',
      'policy override',
      'recovery status',
      'fleet policy reset',
      'generate fleet',
    ])
      assert.ok(all.includes(c), c);
  });

  for (const { name, words, help } of entries) {
    for (const flag of ['--help', '-h']) {
      it(`selfheal ${help.command} ${flag}`, async () => {
        const r = await cli([name, ...words, flag]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.err, '');
        assert.ok(r.out.startsWith(`Usage:\n  selfheal ${help.command}`), r.out.slice(0, 200));
        assert.ok(r.out.includes(help.summary), 'its own summary');
        assert.match(r.out, /\nFlags:\n(.*\n)*? {2}-h, --help +this text\n/);
        assert.match(r.out, new RegExp(`\\nExamples?:\\n {2}selfheal ${help.command}`));
      });
    }
  }

  for (const [name, c] of Object.entries(COMMANDS)) {
    it(`every option "selfheal ${name}" parses is in its help`, () => {
      const text = [c.help.help, ...c.help.subcommands].flatMap((h) => h.flags.map(([f]) => f)).join(' ');
      for (const [opt, o] of Object.entries(c.options)) {
        if (opt === 'help') continue;
        assert.match(text, new RegExp(`--${opt.replace(/\./g, '\\.')}\\b`), `--${opt}`);
        if (o.short) assert.ok(text.includes(`-${o.short}`), `-${o.short}`);
      }
    });
  }

  it('the real binary: demo --help and demo fault -h exit 0 with their own usage, --stubborn included', () => {
    for (const args of [
      ['demo', '--help'],
      ['demo', 'fault', '-h'],
    ]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Unknown option/);
      assert.match(r.stdout, new RegExp(`^Usage:\\n  selfheal ${args.slice(0, -1).join(' ')}`));
    }
    const fault = spawnSync(process.execPath, [BIN, 'demo', 'fault', '--help'], { encoding: 'utf8' });
    assert.match(fault.stdout, /--stubborn +restarts do not help/);
  });

  it('docs/cli.md names every command of the table and each of its subcommands', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/cli.md'), 'utf8');
    for (const [name, c] of Object.entries(COMMANDS)) {
      assert.ok(doc.includes(`selfheal ${name}`), `selfheal ${name}`);
      // On one line with `selfheal NAME`, every further word of the subcommand (the doc's table writes `a|b|c`).
      for (const sub of c.help.subcommands) {
        const words = sub.command.split(' ').slice(1);
        const line = doc
          .split('\n')
          .find((l) => l.includes(`selfheal ${name}`) && words.every((w) => new RegExp(`(^|[^\\w-])${w}($|[^\\w-])`).test(l)));
        assert.ok(line, `docs/cli.md: no line with selfheal ${sub.command}`);
      }
    }
  });

  it('help COMMAND [SUBCOMMAND] prints the same text; an unknown command exits 3 with the list', async () => {
    assert.equal((await cli(['help', 'policy', 'override'])).out, (await cli(['policy', 'override', '--help'])).out);
    const u = await cli(['nope']);
    assert.equal(u.code, 3);
    assert.match(u.err, /unknown command "nope"[\s\S]*selfheal recovery status/);
  });

  it("a usage error prints the subcommand's own help (exit 3)", async () => {
    const r = await cli(['recovery', 'maintenance', 'start', '--reason', 'x']);
    assert.equal(r.code, 3);
    assert.match(r.err, /--duration: required\n\nUsage:\n {2}selfheal recovery maintenance start /);
  });
});
