import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { healthyConfig, serveHealthy } from '../helpers/serve_cli';
import { BIN } from '../helpers/process';
import { tempDir } from '../helpers/fs';

const ROOT = resolve(__dirname, '../../..');
const PY = join(ROOT, 'clients', 'python');

/** Runs a command to its end without blocking the event loop; output interleaved as the user would see it. */
function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 150_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('Python client (clients/python)', () => {
  it('its unittest suite passes against a real selfheal serve', async () => {
    const svc = await serveHealthy();
    // A second one the suite starts, kills (SIGKILL) and restarts itself: the client must fail closed at once.
    const killable = await healthyConfig();
    const { code, output } = await run('python3', ['-m', 'unittest', 'discover', '-v', '-s', join(PY, 'tests')], {
      SELFHEAL_URL: svc.url,
      SELFHEAL_TOKEN: svc.token,
      SELFHEAL_KILLABLE: JSON.stringify({
        argv: [process.execPath, BIN, 'serve', '--config', killable.config, '--log-level', 'warn'],
        url: `http://127.0.0.1:${killable.port}`,
      }),
    });
    console.log(/fail closed \d+ ms after SIGKILL.*/.exec(output)?.[0]);
    assert.equal(code, 0, `python3 -m unittest failed:\n${output}`);
    assert.match(output, /^Ran \d+ tests/m);
    assert.doesNotMatch(output, /skipped/);
  });

  it('pip builds and installs it out of tree; what a build in the checkout leaves, git ignores; the checkout stays clean', async () => {
    const dir = tempDir('selfheal-py-');
    const pkg = join(dir, 'pkg');
    cpSync(PY, pkg, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    const status = () => spawnSync('git', ['status', '--porcelain', '--ignored', '--', PY], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const before = status();
    // Offline with the build tools at hand (Debian's python3-pip brings setuptools and wheel); else pip's isolated build.
    const local = (await run('python3', ['-c', 'import setuptools, wheel'])).code === 0;
    const pip = await run('python3', [
      '-m',
      'pip',
      'install',
      '--no-deps',
      '--no-input',
      ...(local ? ['--no-build-isolation'] : []),
      '--target',
      join(dir, 'site'),
      pkg,
    ]);
    assert.equal(pip.code, 0, pip.output);
    const use = await run(
      'python3',
      ['-c', 'from selfheal_client import PolicyClient; print(PolicyClient("http://127.0.0.1:9").current().policy)'],
      {
        PYTHONPATH: join(dir, 'site'),
      },
    );
    assert.equal(use.output.trim(), 'no_new_trades', use.output);
    // What the build wrote beside the sources (setuptools builds in the tree): each is ignored at clients/python/.
    const tracked = new Set(
      spawnSync('git', ['ls-files', '--', 'clients/python'], { cwd: ROOT, encoding: 'utf8' })
        .stdout.split('\n')
        .map((f) => f.split('/')[2]),
    );
    const left = readdirSync(pkg).filter((n) => !tracked.has(n));
    assert.ok(left.includes('build') && left.some((n) => n.endsWith('.egg-info')), left.join());
    for (const n of left) {
      const ignored = spawnSync('git', ['check-ignore', '-q', `clients/python/${n}/`], { cwd: ROOT });
      assert.equal(ignored.status, 0, `clients/python/${n}/ is not in .gitignore`);
    }
    assert.equal(status(), before, 'the checkout is untouched');
  });

  it('the package and the FastAPI and freqtrade examples are valid Python', async () => {
    const files = ['selfheal_client', 'examples', 'tests'].flatMap((d) =>
      readdirSync(join(PY, d))
        .filter((f) => f.endsWith('.py'))
        .map((f) => join(PY, d, f)),
    );
    assert.ok(files.some((f) => f.endsWith('fastapi_gate.py')) && files.some((f) => f.endsWith('freqtrade_strategy.py')));
    // compile() is py_compile without writing .pyc files into the checkout.
    const script = 'import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding="utf-8").read(), f, "exec")\n';
    const { code, output } = await run('python3', ['-c', script, ...files]);
    assert.equal(code, 0, output);
  });
});
