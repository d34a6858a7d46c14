#!/usr/bin/env node
// Makes sure the real tools are on this machine: the Prometheus tools, python3 (the Python client's
// suite), Chromium, and the Docker Engine with what builds the local test images (debootstrap,
// busybox-static) that the tests use (default), or `bench`: the native load generator the scrape
// benchmarks use. On Debian as root it installs the packages, and starts a Docker Engine when none
// answers (its data under /var/tmp/selfheal-dockerd, so the built images are kept between runs; it is
// left running: stop it by the PID in /var/tmp/selfheal-dockerd/docker.pid). Otherwise the tests stop
// with a clear instruction (they never skip silently), and the benchmarks warn and fall back to their
// Node client.
'use strict';
const { spawnSync } = require('node:child_process');

const SETS = {
  test: {
    promtool: 'prometheus',
    prometheus: 'prometheus',
    amtool: 'prometheus-alertmanager',
    'prometheus-alertmanager': 'prometheus-alertmanager',
    python3: 'python3',
    // pip with setuptools and wheel (Debian's python3-pip depends on both): the Python client's build test.
    pip3: 'python3-pip',
    chromium: 'chromium',
    dockerd: 'docker.io',
    debootstrap: 'debootstrap',
    busybox: 'busybox-static',
  },
  bench: { wrk: 'wrk' },
};
const set = process.argv[2] ?? 'test';
const TOOLS = SETS[set];
if (!TOOLS) {
  console.error(`usage: ensure-tools.js [${Object.keys(SETS).join('|')}]`);
  process.exit(2);
}
const optional = set === 'bench';
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = Object.keys(TOOLS).filter((t) => !has(t));
if (missing.length) install();
done();

/** Installs the missing packages with apt-get (as root on Debian), or stops with the command to run. */
function install() {
  const pkgs = [...new Set(missing.map((t) => TOOLS[t]))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get') || process.env.SELFHEAL_NO_INSTALL) {
    if (optional) {
      console.error(
        `warning: ${missing.join(', ')} missing; the scrape benchmarks fall back to a Node client, whose figures are not comparable (sudo apt-get install -y ${pkgs.join(' ')})`,
      );
      process.exit(0);
    }
    console.error(`selfheal ${set}s need ${missing.join(', ')}.\nInstall them with:  sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
  console.error(`Installing ${pkgs.join(' ')} (needed by the ${set}s: ${missing.join(', ')}) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!run(['update']) || !run(['install', '-y', '--no-install-recommends', ...pkgs])) {
    console.error(`apt-get could not install ${pkgs.join(' ')}; install them by hand and run the ${set}s again.`);
    process.exit(optional ? 0 : 1);
  }
  const still = Object.keys(TOOLS).filter((t) => !has(t));
  if (still.length) {
    console.error(`still missing after install: ${still.join(', ')}`);
    process.exit(optional ? 0 : 1);
  }
}

/** The tools are there; the tests also need a Docker Engine that answers. */
function done() {
  if (set !== 'test') process.exit(0);
  ensureDockerd().then(
    () => process.exit(0),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}

function ping() {
  return new Promise((resolve) => {
    const req = require('node:http').request({ socketPath: '/var/run/docker.sock', path: '/_ping', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts Debian's dockerd (no iptables, no bridge: the tests use --network none or host) when none answers. */
async function ensureDockerd() {
  if (await ping()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot)
    throw new Error('selfheal tests need a Docker Engine on /var/run/docker.sock; start one (sudo dockerd) or run the tests as root');
  const fs = require('node:fs');
  const root = '/var/tmp/selfheal-dockerd';
  fs.mkdirSync(root, { recursive: true });
  const log = fs.openSync(`${root}/dockerd.log`, 'a');
  const args = [
    '--data-root',
    `${root}/data`,
    '--pidfile',
    `${root}/docker.pid`,
    '--host',
    'unix:///var/run/docker.sock',
    '--iptables=false',
    '--bridge=none',
  ];
  const child = require('node:child_process').spawn('dockerd', args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  console.error(`Started dockerd (PID ${child.pid}, data in ${root}) for the tests; it keeps the built test images between runs.`);
  for (let i = 0; i < 120; i++) {
    if (await ping()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`dockerd did not answer within 60 s; see ${root}/dockerd.log`);
}
