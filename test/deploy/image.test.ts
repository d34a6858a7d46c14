// Issue 23: the Dockerfile built with `docker build` (on a local base image: no registry is reachable)
// and run for real: non-root, tini as PID 1, its HEALTHCHECK healthy, /metrics and /policy on loopback.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildSelfhealImage, docker, ensureImages, uniqueName, type TestImages } from '../helpers/docker';
import { tempDir } from '../helpers/fs';
import { API_TOKEN, health, IMAGE, logs, mount, run, selfhealConfig, WEBHOOK_TOKEN } from '../helpers/image';
import { freePort, until } from '../helpers/process';

let images: TestImages;
before(
  async () => {
    images = await ensureImages(['nodeBase']);
    buildSelfhealImage(images);
  },
  { timeout: 900_000 },
);

describe('the image, built from the Dockerfile', () => {
  it('runs as a non-root user under tini, turns healthy, serves /metrics and /policy on loopback', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const port = await freePort();
    const name = uniqueName('selfheal');
    run(name, [
      '-e',
      `SELFHEAL_HEALTH_URL=http://127.0.0.1:${port}/-/healthy`,
      ...mount(dir, 'selfheal.yml', selfhealConfig(port), '/etc/selfheal/selfheal.yml'),
      ...mount(dir, 'webhook', WEBHOOK_TOKEN, '/run/secrets/selfheal_webhook_token'),
      ...mount(dir, 'api', API_TOKEN, '/run/secrets/selfheal_api_token'),
      IMAGE,
    ]);
    await until(`the HEALTHCHECK turns healthy (logs: ${logs(name)})`, async () => health(name) === 'healthy', 90_000, 500);
    assert.equal(docker(['exec', name, 'id', '-u']), '1000', 'non-root');
    assert.equal(docker(['exec', name, 'id', '-un']), 'node');
    assert.match(docker(['exec', name, 'cat', '/proc/1/cmdline']).replace(/\0/g, ' '), /^\/usr\/bin\/tini -- node bin\/selfheal\.js serve/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^selfheal_build_info\{version="[^"]+",revision="[^"]+",nodejs_version="v20\.[^"]+"\} 1$/m);
    const policy = (await (await fetch(`http://127.0.0.1:${port}/policy`)).json()) as { policy: string };
    assert.ok(typeof policy.policy === 'string');
    // No npm credential or registry setting in any layer of the image.
    const npmrc = docker([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'ls -a /root /home/node 2>/dev/null; echo ---; env',
    ]);
    assert.doesNotMatch(npmrc, /\.npmrc|NPM_CONFIG_CAFILE/);
  });
});
