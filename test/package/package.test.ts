import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT_CONFIG } from '../../src/cli';
import { parseServeFlags } from '../../src/serve/main';
import { ROOT } from '../helpers/stack';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, string>;
};

describe('package: the published tarball', () => {
  it('npm pack lists only the product: compiled code, bin, docs, rules, dashboards, deploy examples', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    const allowed = [
      /^dist\/src\/.+\.(js|d\.ts)$/,
      /^dist\/src\/build_info\.json$/,
      /^bin\/selfheal\.js$/,
      /^(README\.md|LICENSE|package\.json)$/,
      /^rules\/[^/]+\.yml$/,
      /^grafana\/(dashboards|provisioning)\//,
      /^deploy\//,
      /^docs\//,
      /^demo\/selfheal\.yml$/,
    ];
    const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
    assert.deepEqual(stray, [], 'files outside the product');
    for (const banned of [
      /^test\//,
      /^bench\//,
      /^scripts\//,
      /^\.ci\//,
      /^src\//,
      /^dist\/(test|bench|grafana)\//,
      /\.map$/,
      /\.test\.yml$/,
      /^node_modules\//,
    ]) {
      assert.deepEqual(
        files.filter((f) => banned.test(f)),
        [],
        String(banned),
      );
    }
    for (const need of [
      'bin/selfheal.js',
      'dist/src/cli.js',
      'dist/src/index.d.ts',
      'dist/src/client/index.js',
      'dist/src/client/index.d.ts',
      'README.md',
      'LICENSE',
      'rules/selfheal.rules.yml',
      'docs/runbooks.md',
      'demo/selfheal.yml',
      'deploy/systemd/selfheal.service',
      'deploy/selfheal/web-config.example.yml',
    ]) {
      assert.ok(files.includes(need), need);
    }
    // Every export resolves inside the tarball.
    for (const target of Object.values(pkg.exports)) assert.ok(files.includes(target.replace(/^\.\//, '')), target);
  });
  it('nothing compiles at install (no prepare); pack compiles first', () => {
    assert.equal(pkg.scripts.prepare, undefined);
    assert.equal(pkg.scripts.install, undefined);
    assert.equal(pkg.scripts.postinstall, undefined);
    assert.match(pkg.scripts.prepack ?? '', /tsc|npm run build/);
  });
});

describe('package: selfheal/client is dependency-free', () => {
  it('loading it pulls in no package at all (no express, better-sqlite3, prom-client, pino)', () => {
    const script = `require(${JSON.stringify(join(ROOT, 'dist/src/client/index.js'))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    assert.deepEqual(
      loaded.filter((f) => f.includes('node_modules')),
      [],
    );
    for (const f of loaded) assert.ok(f.startsWith(join(ROOT, 'dist/src/')), f);
    assert.ok(!loaded.some((f) => /\/serve\/|\/execute\/|\/config\//.test(f)), loaded.join('\n'));
  });
});

describe('package: Node versions', () => {
  const floor = Number(/^>=\s*(\d+)(\.\d+)*$/.exec(pkg.engines.node)?.[1]);
  it('engines.node is a plain floor, and the Node running the tests (CI) satisfies it', () => {
    assert.ok(Number.isInteger(floor), pkg.engines.node);
    assert.ok(Number(process.versions.node.split('.')[0]) >= floor, `CI runs ${process.version}, engines says ${pkg.engines.node}`);
  });
  it('@types/node is the floor version, so the code uses no API newer than the oldest Node we claim', () => {
    assert.equal(Number(/(\d+)/.exec(pkg.devDependencies['@types/node'])?.[1]), floor);
  });
  it('the Docker image runs a Node the engines field allows', () => {
    // The base image is a build argument (no registry here: the tests build a local one); its default names the Node.
    const froms = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^(?:FROM|ARG BASE_IMAGE=)node:(\d+)/gm)].map((m) =>
      Number(m[1]),
    );
    assert.ok(froms.length >= 1);
    for (const v of froms) assert.ok(v >= floor, `node:${v}`);
  });
});

describe('package: Docker image and systemd unit', () => {
  it("the image compiles in the build stage and ships only better-sqlite3's compiled addon", () => {
    const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const build = docker.indexOf('npm run build');
    assert.ok(build > 0 && build < docker.indexOf('npm prune --omit=dev'), 'build before pruning the dev dependencies');
    assert.match(docker, /rm -rf deps src/);
    assert.match(docker, /! -name better_sqlite3\.node/);
  });
  it('the systemd unit reloads with SIGHUP, does not restart on a bad config, and its flags parse', () => {
    const unit = readFileSync(join(ROOT, 'deploy/systemd/selfheal.service'), 'utf8');
    const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(unit)?.[1];
    assert.equal(get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(get('RestartPreventExitStatus'), String(EXIT_CONFIG));
    const argv = get('ExecStart')!.split(/\s+/);
    assert.equal(argv[1], 'serve');
    const flags = parseServeFlags(argv.slice(2), true);
    assert.equal(flags.configFile, '/etc/selfheal/selfheal.yml');
    assert.deepEqual(flags.listen, { host: '127.0.0.1', port: 8477 });
    assert.equal(flags.format, 'json');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/selfheal.js'), ...argv.slice(1), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
