#!/usr/bin/env node
// Makes sure the real Prometheus tools the tests use are on this machine. On Debian as root it
// installs the packages; otherwise it stops with a clear instruction. Tests never skip silently.
'use strict';
const { spawnSync } = require('node:child_process');

const TOOLS = { promtool: 'prometheus', prometheus: 'prometheus', amtool: 'prometheus-alertmanager', 'prometheus-alertmanager': 'prometheus-alertmanager' };
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = Object.keys(TOOLS).filter((t) => !has(t));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((t) => TOOLS[t]))];
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !has('apt-get') || process.env.SELFHEAL_NO_INSTALL) {
  console.error(`selfheal tests need ${missing.join(', ')}.\nInstall them with:  sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}
console.error(`Installing ${pkgs.join(' ')} (needed by the tests: ${missing.join(', ')}) ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
if (!run(['update']) || !run(['install', '-y', '--no-install-recommends', ...pkgs])) {
  console.error(`apt-get could not install ${pkgs.join(' ')}; install them by hand and run the tests again.`);
  process.exit(1);
}
const still = Object.keys(TOOLS).filter((t) => !has(t));
if (still.length) {
  console.error(`still missing after install: ${still.join(', ')}`);
  process.exit(1);
}
