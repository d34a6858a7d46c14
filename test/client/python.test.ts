import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { serveHealthy } from '../helpers/serve_cli';

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
    const { code, output } = await run('python3', ['-m', 'unittest', 'discover', '-v', '-s', join(PY, 'tests')], {
      SELFHEAL_URL: svc.url,
      SELFHEAL_TOKEN: svc.token,
    });
    assert.equal(code, 0, `python3 -m unittest failed:\n${output}`);
    assert.match(output, /^Ran \d+ tests/m);
    assert.doesNotMatch(output, /skipped/);
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
