#!/usr/bin/env node
// Makes sure the real tools are on this machine: the Prometheus tools and python3 (the Python client's
// suite) that the tests use (default), or `bench`: the native load generator the scrape benchmarks
// use. On Debian as root it installs the packages; otherwise the tests stop with a clear instruction
// (they never skip silently), and the benchmarks warn and fall back to their Node client.
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
if (missing.length === 0) process.exit(0);

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
