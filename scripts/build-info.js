#!/usr/bin/env node
// Part of `npm run build`: records the git revision the build came from in dist/src/build_info.json,
// which selfheal_build_info reports. SELFHEAL_REVISION wins (image builds without .git); without
// either the file says "unknown".
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
let revision = (process.env.SELFHEAL_REVISION ?? '').trim();
if (!revision) {
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  revision = git.status === 0 ? git.stdout.trim() : '';
}
mkdirSync(join(root, 'dist', 'src'), { recursive: true });
writeFileSync(join(root, 'dist', 'src', 'build_info.json'), JSON.stringify({ revision: revision || 'unknown' }) + '\n');
