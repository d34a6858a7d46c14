// The TypeScript client as bots install it: clients/typescript packed with `npm pack` and installed
// with `npm install` into a project of its own. It brings nothing with it (no express, no better-sqlite3
// and its native build), loads nothing but itself, and its types compile in the bot's project.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/fs';
import { ROOT } from '../helpers/stack';

const CLIENT = join(ROOT, 'clients', 'typescript');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 170_000 });

describe('package: selfheal-client (clients/typescript), installed into a bot project', () => {
  it('npm pack + npm install: the client alone, loading nothing else, typed, failing closed before the first policy', () => {
    const dir = tempDir('selfheal-bot-');
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], CLIENT)) as {
      filename: string;
      version: string;
      files: { path: string }[];
    }[];
    const { filename, version, files } = packed[0];
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version, root.version, 'released with the service');
    assert.deepEqual(files.map((f) => f.path).sort(), [
      'LICENSE',
      'README.md',
      'dist/client/index.d.ts',
      'dist/client/index.js',
      'dist/policy_view.d.ts',
      'dist/policy_view.js',
      'dist/recommend/directives.d.ts',
      'dist/recommend/directives.js',
      'dist/types.d.ts',
      'dist/types.js',
      'package.json',
    ]);

    const bot = join(dir, 'bot');
    mkdirSync(bot);
    writeFileSync(join(bot, 'package.json'), JSON.stringify({ name: 'bot', version: '1.0.0', private: true }));
    npm(['install', '--offline', '--no-audit', '--no-fund', join(dir, filename)], bot);
    assert.deepEqual(
      readdirSync(join(bot, 'node_modules')).filter((n) => !n.startsWith('.')),
      ['selfheal-client'],
      'nothing else installed (no better-sqlite3, express, prom-client)',
    );
    const tree = JSON.parse(npm(['ls', '--all', '--json'], bot)) as { dependencies: Record<string, { dependencies?: unknown }> };
    assert.deepEqual(Object.keys(tree.dependencies), ['selfheal-client']);
    assert.equal(tree.dependencies['selfheal-client'].dependencies, undefined);

    const script = [
      "const { PolicyClient } = require('selfheal-client');",
      "const c = new PolicyClient({ baseUrl: 'http://127.0.0.1:9' });",
      'process.stdout.write(JSON.stringify({ policy: c.current().policy, open: c.canOpenPosition(), live: c.live(), loaded: Object.keys(require.cache) }));',
    ].join('\n');
    const run = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: bot, encoding: 'utf8' })) as {
      policy: string;
      open: boolean;
      live: boolean;
      loaded: string[];
    };
    assert.deepEqual([run.policy, run.open, run.live], ['no_new_trades', false, false]);
    for (const f of run.loaded) assert.ok(f.startsWith(join(bot, 'node_modules', 'selfheal-client', 'dist')), f);

    // The bot's own TypeScript, checked against the installed declarations (no skipLibCheck).
    writeFileSync(
      join(bot, 'bot.ts'),
      [
        "import { PolicyClient, type PolicyView } from 'selfheal-client';",
        "const policy = new PolicyClient({ baseUrl: 'http://127.0.0.1:8477' });",
        'policy.start();',
        'async function main(): Promise<void> {',
        '  const first: PolicyView | null = await policy.waitForPolicy(10_000);',
        "  if (first && policy.canOpenPosition()) console.log(policy.limits().max_leverage, policy.mustClose() === 'none');",
        "  policy.on('change', (p: PolicyView) => console.log(p.policy, p.reasons));",
        '}',
        'void main();',
      ].join('\n'),
    );
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--target',
        'ES2022',
        '--types',
        'node',
        '--typeRoots',
        join(ROOT, 'node_modules', '@types'),
        'bot.ts',
      ],
      { cwd: bot, encoding: 'utf8' },
    );
    assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
  });
});
