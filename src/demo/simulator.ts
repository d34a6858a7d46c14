// A stand-in for the trading platform in the bundled demo: keeps each subsystem's evidence fresh,
// stops it for subsystems listed as faulted, and "restarts" a subsystem when its restart flag appears.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config, SubsystemConfig } from '../config/types';

export const FAULTS_FILE = 'demo_faults.json';

export function readFaults(dataDir: string): string[] {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, FAULTS_FILE), 'utf8')) as { faults?: unknown };
    return Array.isArray(v.faults) ? v.faults.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function writeFaults(dataDir: string, faults: string[]): void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, FAULTS_FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify({ faults: [...new Set(faults)].sort() }) + '\n');
  renameSync(`${path}.tmp`, path);
}

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

export function simulateOnce(config: Config, now = Date.now()): void {
  let faults = readFaults(config.data_dir);
  // Obey restart requests the way the real platform's supervisor would: the restarted subsystem is healthy again.
  const restarted = faults.filter((f) => existsSync(join(config.data_dir, `${f}_restart_requested.flag`)));
  if (restarted.length) {
    for (const f of restarted) rmSync(join(config.data_dir, `${f}_restart_requested.flag`), { force: true });
    faults = faults.filter((f) => !restarted.includes(f));
    writeFaults(config.data_dir, faults);
  }
  for (const sub of config.subsystems) if (sub.enabled) simulate(sub, faults.includes(sub.name), now);
}

/** Refreshes (or, when faulted, withholds) one subsystem's evidence. */
export function simulate(sub: SubsystemConfig, faulted: boolean, now: number): void {
  const c = sub.check;
  switch (c.type) {
    case 'file_freshness':
      if (!faulted) write(c.path, c.nonempty_field ? JSON.stringify({ [c.nonempty_field]: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], updated: new Date(now).toISOString() }) : '{}');
      break;
    case 'json_timestamp':
      if (!faulted) write(c.path, JSON.stringify({ [c.field]: new Date(now).toISOString() }));
      break;
    case 'file_set':
      c.files.forEach((f, i) => {
        const p = join(c.dir, f);
        if (faulted && i > 0) rmSync(p, { force: true });
        else if (!existsSync(p)) write(p, 'model');
      });
      break;
    case 'file_presence':
      if (faulted) rmSync(c.path, { force: true });
      else if (!existsSync(c.path)) write(c.path, 'SQLite format 3\u0000');
      break;
    case 'newest_file':
      if (!faulted) {
        mkdirSync(c.dir, { recursive: true });
        appendFileSync(join(c.dir, 'trader.log'), `${new Date(now).toISOString()} demo heartbeat\n`);
      }
      break;
    default:
      break;
  }
}

export function startSimulator(config: Config): () => void {
  simulateOnce(config);
  const t = setInterval(() => simulateOnce(config), config.demo.interval_sec * 1000);
  return () => clearInterval(t);
}
