// `selfheal demo reset`: the bundled demo back to its first start. Everything a run leaves lives under
// the directories the demo config names (data_dir with the journal, the latch and the maintenance and
// override files beside it, the simulator's evidence, logs, models, database), so reset removes those
// directories. It refuses while a selfheal process runs the demo on them: a running service holds its
// journal open and its floors, override and breaker in memory, and would write them straight back.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../config/types';

/** The marker a process running the demo's simulator leaves in data_dir: `demo_simulator.<pid>.pid`. */
const LOCK = /^demo_simulator\.(\d+)\.pid$/;

/** A process that runs the demo on these files. */
export interface DemoRunner {
  pid: number;
  /** Its command line as it wrote it (`selfheal serve ...`). */
  command: string;
}

/** Marks this process as running the demo on config's files (the simulator calls it); returns the remover. */
export function markRunning(config: Config, command = process.argv.slice(1).join(' ')): () => void {
  mkdirSync(config.data_dir, { recursive: true });
  const path = join(config.data_dir, `demo_simulator.${process.pid}.pid`);
  writeFileSync(path, JSON.stringify({ pid: process.pid, command, started_at: new Date().toISOString() }) + '\n');
  return () => rmSync(path, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live processes running the demo on config's files; markers left by a killed process are ignored. */
export function demoRunners(config: Config): DemoRunner[] {
  let names: string[];
  try {
    names = readdirSync(config.data_dir);
  } catch {
    return [];
  }
  const out: DemoRunner[] = [];
  for (const name of names) {
    const pid = Number(LOCK.exec(name)?.[1]);
    if (!pid || pid === process.pid || !alive(pid)) continue;
    let command = 'selfheal';
    try {
      command = String((JSON.parse(readFileSync(join(config.data_dir, name), 'utf8')) as { command?: unknown }).command ?? command);
    } catch {
      /* a marker being written: the pid is enough */
    }
    out.push({ pid, command });
  }
  return out;
}

/** Why a config's paths cannot be reset, or null: every one must lie inside the config file's directory. */
export function resetRefusal(config: Config, configFile: string): string | null {
  if (!config.demo.enabled)
    return `${configFile} is not a demo config (demo.enabled is not true): reset deletes state and runs only on a demo`;
  const home = dirname(resolve(configFile));
  for (const [key, path] of resetTargets(config)) {
    const rel = relative(home, path);
    if (!rel || rel.startsWith('..') || isAbsolute(rel))
      return `${key} (${path}) is not inside ${home}/: reset removes only the demo's own directories`;
  }
  return null;
}

/** The directories a demo run writes, by the config key that names them (the journal's and the database's by their file's). */
export function resetTargets(config: Config): [string, string][] {
  const all: [string, string][] = [
    ['data_dir', config.data_dir],
    ['log_dir', config.log_dir],
    ['models_dir', config.models_dir],
    ['database_path', dirname(config.database_path)],
    ['recovery.journal_path', dirname(config.recovery.journal_path)],
    ['report_path', dirname(config.report_path)],
  ];
  // One entry per directory, and none inside another that is removed already.
  const dirs = [...new Set(all.map(([, p]) => resolve(p)))];
  return all.filter(([, p], i) => {
    const d = resolve(p);
    return all.findIndex(([, q]) => resolve(q) === d) === i && !dirs.some((o) => o !== d && !relative(o, d).startsWith('..'));
  });
}

/**
 * Removes the demo's directories, and their parents left empty up to the config's own directory (as
 * before the first start: no demo/run/); returns the ones that existed. Call after resetRefusal and demoRunners.
 */
export function resetDemo(config: Config, configFile: string): string[] {
  const home = dirname(resolve(configFile));
  const removed: string[] = [];
  for (const [, dir] of resetTargets(config)) {
    if (!existsSync(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  for (const dir of removed) {
    for (let p = dirname(dir); p !== home && !relative(home, p).startsWith('..'); p = dirname(p)) {
      try {
        rmdirSync(p); // only an empty directory: anything the user put there stays
      } catch {
        break;
      }
    }
  }
  return removed;
}
