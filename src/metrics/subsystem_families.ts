// The per-subsystem metric families, rendered in the text exposition format. At 10,000 subsystems
// prom-client's generic path spent ~170 ms rendering these synchronously on every change; here each
// family is cached as encoded blocks of CHUNK subsystems, and a cycle re-encodes only the blocks
// whose values changed, one block per step.
import type { Steps } from '../util/slices';
import { HEALTH_STATUSES, type HealthStatus } from '../types';

const LAST = ' (as of the last check cycle; scrapes do no I/O)';

const FAMILIES = [
  ['selfheal_subsystem_status', 'gauge', 'Subsystem health status, one series per status, the current one 1'],
  ['selfheal_subsystem_check_duration_seconds', 'gauge', "Duration of the subsystem's last check"],
  [
    'selfheal_subsystem_consecutive_failures',
    'gauge',
    'Consecutive checks of the subsystem that errored (transient until max_consecutive_failures, then failed)',
  ],
  ['selfheal_subsystem_check_errors_total', 'counter', 'Checks of the subsystem that threw, timed out or met corrupt data'],
  [
    'selfheal_subsystem_last_update_timestamp_seconds',
    'gauge',
    "Time of the subsystem's own evidence (file mtime or heartbeat), Unix seconds",
  ],
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

/**
 * Values are kept in columns, not as objects and line strings: at 10,000 subsystems cached lines were
 * ~200,000 live strings (a third of the heap), and every one is work for each major GC.
 */
export class SubsystemFamilies {
  private readonly index = new Map<string, number>();
  private readonly labels: string[];
  private readonly status: Uint8Array;
  private readonly duration: Float64Array;
  private readonly failures: Float64Array;
  private readonly errors: Float64Array;
  private readonly updated: Float64Array;
  private readonly hasUpdate: Uint8Array;
  /** blocks[family][chunk]: the encoded series of CHUNK subsystems; null when one of them changed. */
  private readonly blocks: (Buffer | null)[][];
  /** Each family's HELP and TYPE lines, per format (OpenMetrics names a counter's family without `_total`). */
  private readonly headers: Buffer[];
  private readonly omHeaders: Buffer[];

  /** The subsystem set is fixed for the life of the service: every series exists from the first scrape. */
  constructor(names: readonly string[]) {
    const n = names.length;
    names.forEach((name, i) => this.index.set(name, i));
    this.labels = names.map((name) => `subsystem="${esc(name)}"`);
    this.status = new Uint8Array(n).fill(HEALTH_STATUSES.indexOf('unknown'));
    this.duration = new Float64Array(n);
    this.failures = new Float64Array(n);
    this.errors = new Float64Array(n);
    this.updated = new Float64Array(n);
    this.hasUpdate = new Uint8Array(n);
    this.blocks = FAMILIES.map(() => Array.from({ length: Math.ceil(n / CHUNK) }, () => null));
    this.headers = FAMILIES.map(([name, type, help]) => Buffer.from(`# HELP ${name} ${help}${LAST}\n# TYPE ${name} ${type}\n`));
    this.omHeaders = FAMILIES.map(([name, type, help]) => {
      const family = type === 'counter' ? name.replace(/_total$/, '') : name;
      return Buffer.from(`# HELP ${family} ${help}${LAST}\n# TYPE ${family} ${type}\n`);
    });
  }

  set(name: string, s: SubsystemSample): void {
    const i = this.index.get(name);
    if (i === undefined) return;
    const chunk = Math.floor(i / CHUNK);
    const st = HEALTH_STATUSES.indexOf(s.status);
    if (this.status[i] !== st) {
      this.status[i] = st;
      this.blocks[0][chunk] = null;
    }
    if (!Object.is(this.duration[i], s.duration_seconds)) {
      this.duration[i] = s.duration_seconds;
      this.blocks[1][chunk] = null;
    }
    if (!Object.is(this.failures[i], s.consecutive_failures)) {
      this.failures[i] = s.consecutive_failures;
      this.blocks[2][chunk] = null;
    }
    if (!Object.is(this.errors[i], s.errors_total)) {
      this.errors[i] = s.errors_total;
      this.blocks[3][chunk] = null;
    }
    const has = s.last_update_seconds === undefined ? 0 : 1;
    if (this.hasUpdate[i] !== has || (has && !Object.is(this.updated[i], s.last_update_seconds))) {
      this.hasUpdate[i] = has;
      this.updated[i] = s.last_update_seconds ?? 0;
      this.blocks[4][chunk] = null;
    }
  }

  get(name: string): SubsystemSample | undefined {
    const i = this.index.get(name);
    if (i === undefined) return undefined;
    return {
      status: HEALTH_STATUSES[this.status[i]],
      duration_seconds: this.duration[i],
      consecutive_failures: this.failures[i],
      errors_total: this.errors[i],
      last_update_seconds: this.hasUpdate[i] ? this.updated[i] : undefined,
    };
  }

  private lines(family: number, i: number): string {
    const label = this.labels[i];
    switch (family) {
      case 0: {
        let out = '';
        for (let k = 0; k < HEALTH_STATUSES.length; k++)
          out += `selfheal_subsystem_status{${label},status="${HEALTH_STATUSES[k]}"} ${k === this.status[i] ? 1 : 0}\n`;
        return out;
      }
      case 1:
        return `selfheal_subsystem_check_duration_seconds{${label}} ${num(this.duration[i])}\n`;
      case 2:
        return `selfheal_subsystem_consecutive_failures{${label}} ${num(this.failures[i])}\n`;
      case 3:
        return `selfheal_subsystem_check_errors_total{${label}} ${num(this.errors[i])}\n`;
      default:
        return this.hasUpdate[i] ? `selfheal_subsystem_last_update_timestamp_seconds{${label}} ${num(this.updated[i])}\n` : '';
    }
  }

  /**
   * The families as encoded parts, in exposition order, in both formats (the sample lines are the
   * same; the blocks are shared); re-encodes only changed blocks, one per step.
   */
  *renderSteps(): Steps<{ text: Buffer[]; openmetrics: Buffer[] }> {
    const out: Buffer[] = [];
    const om: Buffer[] = [];
    const n = this.labels.length;
    for (let f = 0; f < FAMILIES.length; f++) {
      out.push(this.headers[f]);
      om.push(this.omHeaders[f]);
      const blocks = this.blocks[f];
      for (let c = 0; c < blocks.length; c++) {
        let block = blocks[c];
        if (block === null) {
          let text = '';
          for (let i = c * CHUNK; i < Math.min(n, (c + 1) * CHUNK); i++) text += this.lines(f, i);
          block = Buffer.from(text);
          blocks[c] = block;
          yield;
        }
        out.push(block);
        om.push(block);
      }
    }
    return { text: out, openmetrics: om };
  }
}
