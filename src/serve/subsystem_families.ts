// The per-subsystem metric families, rendered in the text exposition format. At 10,000 subsystems
// prom-client's generic path spent ~170 ms rendering these synchronously on every change; here each
// subsystem's lines are cached, and each family is cached as encoded blocks of CHUNK subsystems, so
// a cycle re-renders only the lines and blocks whose values changed, one block per step.
import type { Steps } from '../engine/slices';
import { HEALTH_STATUSES, type HealthStatus } from '../types';

const LAST = ' (as of the last check cycle; scrapes do no I/O)';

const FAMILIES = [
  ['selfheal_subsystem_status', 'gauge', 'Subsystem health status, one series per status, the current one 1'],
  ['selfheal_subsystem_check_duration_seconds', 'gauge', "Duration of the subsystem's last check"],
  ['selfheal_subsystem_consecutive_failures', 'gauge', 'Consecutive checks that found the subsystem critical or failed'],
  ['selfheal_subsystem_check_errors_total', 'counter', 'Checks of the subsystem that threw, timed out or met corrupt data'],
  ['selfheal_subsystem_last_update_timestamp_seconds', 'gauge', "Time of the subsystem's own evidence (file mtime or heartbeat), Unix seconds"],
] as const;

const CHUNK = 256;

export interface SubsystemSample {
  status: HealthStatus;
  duration_seconds: number;
  consecutive_failures: number;
  errors_total: number;
  /** Unix seconds; undefined when there is no evidence (e.g. the file is missing). */
  last_update_seconds: number | undefined;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export class SubsystemFamilies {
  private readonly index = new Map<string, number>();
  private readonly labels: string[];
  private readonly samples: (SubsystemSample | null)[];
  /** lines[family][subsystem]: that subsystem's rendered series of the family. */
  private readonly lines: string[][];
  /** blocks[family][chunk]: the encoded lines of CHUNK subsystems; null when one of them changed. */
  private readonly blocks: (Buffer | null)[][];
  private readonly headers: Buffer[];

  /** The subsystem set is fixed for the life of the service: every series exists from the first scrape. */
  constructor(names: readonly string[]) {
    names.forEach((n, i) => this.index.set(n, i));
    this.labels = names.map((n) => `subsystem="${esc(n)}"`);
    this.samples = names.map(() => null);
    this.lines = FAMILIES.map(() => names.map(() => ''));
    this.blocks = FAMILIES.map(() => Array.from({ length: Math.ceil(names.length / CHUNK) }, () => null));
    this.headers = FAMILIES.map(([name, type, help]) => Buffer.from(`# HELP ${name} ${help}${LAST}\n# TYPE ${name} ${type}\n`));
    for (const n of names) {
      this.set(n, { status: 'unknown', duration_seconds: 0, consecutive_failures: 0, errors_total: 0, last_update_seconds: undefined });
    }
  }

  set(name: string, s: SubsystemSample): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    const prev = this.samples[i];
    const label = this.labels[i];
    if (!prev || prev.status !== s.status) {
      this.put(0, i, HEALTH_STATUSES.map((st) => `selfheal_subsystem_status{${label},status="${st}"} ${st === s.status ? 1 : 0}\n`).join(''));
    }
    if (!prev || prev.duration_seconds !== s.duration_seconds) this.put(1, i, `selfheal_subsystem_check_duration_seconds{${label}} ${num(s.duration_seconds)}\n`);
    if (!prev || prev.consecutive_failures !== s.consecutive_failures) this.put(2, i, `selfheal_subsystem_consecutive_failures{${label}} ${s.consecutive_failures}\n`);
    if (!prev || prev.errors_total !== s.errors_total) this.put(3, i, `selfheal_subsystem_check_errors_total{${label}} ${s.errors_total}\n`);
    if (!prev || prev.last_update_seconds !== s.last_update_seconds) {
      this.put(4, i, s.last_update_seconds === undefined ? '' : `selfheal_subsystem_last_update_timestamp_seconds{${label}} ${num(s.last_update_seconds)}\n`);
    }
    this.samples[i] = s;
  }

  private put(family: number, i: number, line: string): void {
    this.lines[family][i] = line;
    this.blocks[family][Math.floor(i / CHUNK)] = null;
  }

  get(name: string): SubsystemSample | undefined {
    const i = this.index.get(name);
    return i === undefined ? undefined : (this.samples[i] ?? undefined);
  }

  /** The families as encoded parts, in exposition order; re-encodes only changed blocks, one per step. */
  *renderSteps(): Steps<Buffer[]> {
    const out: Buffer[] = [];
    for (let f = 0; f < FAMILIES.length; f++) {
      out.push(this.headers[f]);
      const blocks = this.blocks[f];
      for (let c = 0; c < blocks.length; c++) {
        let block = blocks[c];
        if (block === null) {
          block = Buffer.from(this.lines[f].slice(c * CHUNK, (c + 1) * CHUNK).join(''));
          blocks[c] = block;
          yield;
        }
        out.push(block);
      }
    }
    return out;
  }
}
