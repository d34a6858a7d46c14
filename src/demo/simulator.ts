// A stand-in for the trading platform in the bundled demo: keeps each subsystem's evidence fresh,
// stops it for subsystems listed as faulted, and "restarts" a subsystem when its restart flag appears.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, SubsystemConfig } from '../config/types';
import { simulateCheck } from '../detect/registry';
import { flagFile } from '../recommend/actions';
import type { RecoveryAction } from '../types';
import { markRunning } from './reset';

export const FAULTS_FILE = 'demo_faults.json';

/**
 * The flags the simulated supervisor obeys: a restart brings a faulted subsystem back (unless it is
 * stubborn). It carries out no other action, so a subsystem whose action is another stays broken
 * until `selfheal demo heal` (what `demo fault` says, from this list).
 */
export const SIMULATED_SUPERVISOR: readonly RecoveryAction[] = ['restart_subsystem'];

/** The demo's fault switches: faulted subsystems stop their evidence; stubborn ones ignore restarts. */
export interface DemoFaults {
  faults: string[];
  stubborn: string[];
  /** Restarts the simulated supervisor carried out, by subsystem. */
  restarts: Record<string, number>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function readDemoFaults(dataDir: string): DemoFaults {
  try {
    const v = JSON.parse(readFileSync(join(dataDir, FAULTS_FILE), 'utf8')) as Record<string, unknown>;
    const restarts = typeof v.restarts === 'object' && v.restarts !== null ? (v.restarts as Record<string, number>) : {};
    return { faults: strings(v.faults), stubborn: strings(v.stubborn), restarts };
  } catch {
    return { faults: [], stubborn: [], restarts: {} };
  }
}

export function readFaults(dataDir: string): string[] {
  return readDemoFaults(dataDir).faults;
}

export function writeDemoFaults(dataDir: string, f: DemoFaults): void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, FAULTS_FILE);
  const sorted = (xs: string[]) => [...new Set(xs)].sort();
  writeFileSync(`${path}.tmp`, JSON.stringify({ faults: sorted(f.faults), stubborn: sorted(f.stubborn), restarts: f.restarts }) + '\n');
  renameSync(`${path}.tmp`, path);
}

export function writeFaults(dataDir: string, faults: string[], stubborn?: string[]): void {
  const prev = readDemoFaults(dataDir);
  writeDemoFaults(dataDir, { faults, stubborn: (stubborn ?? prev.stubborn).filter((s) => faults.includes(s)), restarts: prev.restarts });
}

export function simulateOnce(config: Config, now = Date.now()): void {
  const state = readDemoFaults(config.data_dir);
  // Obey restart requests the way the real platform's supervisor would: the restarted subsystem is
  // healthy again — unless it is stubborn, when the restart does not help.
  const names = config.subsystems.map((s) => s.name);
  const flags = names.flatMap((n) => SIMULATED_SUPERVISOR.map((a) => ({ n, path: join(config.data_dir, flagFile(a, n)) })));
  const obeyed = flags.filter((f) => existsSync(f.path));
  const restarted = [...new Set(obeyed.map((f) => f.n))];
  if (restarted.length) {
    for (const f of obeyed) {
      rmSync(f.path, { force: true });
      state.restarts[f.n] = (state.restarts[f.n] ?? 0) + 1;
    }
    state.faults = state.faults.filter((f) => !restarted.includes(f) || state.stubborn.includes(f));
    writeDemoFaults(config.data_dir, state);
  }
  for (const sub of config.subsystems) if (sub.enabled) simulate(sub, state.faults.includes(sub.name), now);
}

/** Refreshes (or, when faulted, withholds) one subsystem's evidence, the way its check type's module says. */
export function simulate(sub: SubsystemConfig, faulted: boolean, now: number): void {
  simulateCheck(sub.check, faulted, now);
}

/** Where the simulator says that it stalled and recovered (the service's logger, or the CLI's stderr). */
export interface SimulatorLog {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Runs the simulator every `demo.interval_sec` until the returned function is called. A tick that
 * fails — out of file descriptors (EMFILE), a full disk — is logged and tried again at the next
 * tick: the demo platform stalls, the service it runs inside never crashes (issue 25). One error
 * line when it starts failing, one when it recovers, not one a second.
 */
export function startSimulator(config: Config, logger?: SimulatorLog): () => void {
  // Marked in data_dir while it runs, so `demo reset` knows the demo is running.
  const unmark = markRunning(config);
  let failing: { since: number; ticks: number } | null = null;
  const tick = () => {
    try {
      simulateOnce(config);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (!failing)
        logger?.error({ err: e.message, code: e.code }, 'demo simulator could not write the platform files; retrying every tick');
      failing = { since: failing?.since ?? Date.now(), ticks: (failing?.ticks ?? 0) + 1 };
      return;
    }
    if (failing) logger?.info({ failed_ticks: failing.ticks, since: new Date(failing.since).toISOString() }, 'demo simulator recovered');
    failing = null;
  };
  tick();
  const t = setInterval(tick, config.demo.interval_sec * 1000);
  return () => {
    clearInterval(t);
    unmark();
  };
}
