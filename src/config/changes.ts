// What differs between two parsed configurations, key by key, each with its declared reload class:
// what a reload may apply (live) and what it must refuse (restart). The walk goes through the parsed
// Config beside the declarations, so a value with no declaration is an error here (and in the test that
// walks a fully populated Config), never a silent "ok, changed: []".
import { CHECK_MODULES } from '../detect/registry';
import type { Key, Keys, Reload } from '../schema/keys';
import { isPlainObject } from '../schema/reader';
import { ROOT_KEYS, SECTIONS, SUBSYSTEM_KEYS } from './schema';
import type { Config, SubsystemConfig } from './types';

/** One changed key. */
export interface ConfigChange {
  /** The key as the file spells it (`api.max_connections`, `subsystems.data_feed.critical_after_sec`). */
  key: string;
  reload: Reload;
  /** Where the value lives in a parsed Config (a subsystem by name): what a live change assigns. */
  path: string[];
}

/** A declared value in the parsed Config: a key, or a section of them. */
type Node = { keys: Keys } | Key<unknown>;

/** The parsed Config's top level, beside the declarations (`subsystems` is walked by name, below). */
const TOP: Keys = {
  ...ROOT_KEYS,
  ...Object.fromEntries(Object.entries(SECTIONS).map(([name, keys]) => [name, declared(name, keys)])),
};

/** A top-level section as a key of its own (restart class: only its keys' own classes are ever used). */
function declared(name: string, keys: Keys): Key<unknown> {
  return {
    type: 'mapping',
    description: name,
    reload: 'restart',
    default: undefined,
    required: false,
    keys,
    read: () => undefined,
    schema: () => ({}),
  };
}

/** The Config field of a subsystem that the file spells differently. */
const SUBSYSTEM_FIELD: Record<string, string> = { criticality: 'critical_for_trading' };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Every declared key whose value differs between `running` and `next`. Throws on a value with no declaration. */
export function configChanges(running: Config, next: Config): ConfigChange[] {
  const out: ConfigChange[] = [];
  const r = running as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const k of union(r, n)) {
    if (k === 'subsystems') subsystemChanges(running.subsystems, next.subsystems, out);
    else walk(r[k], n[k], TOP[k], [k], k, out);
  }
  return out;
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

/** Recurses through sections (and tagged lists); a leaf that differs is a change of its key's class. */
function walk(a: unknown, b: unknown, node: Node | undefined, path: string[], key: string, out: ConfigChange[]): void {
  if (!node) throw new Error(`${key}: a configuration value with no declared key (and so no reload class)`);
  const decl = node as Key<unknown>;
  if (decl.kinds && Array.isArray(a) && Array.isArray(b)) {
    // A tagged list (handlers): entry by entry, each against the common keys and every kind's.
    const keys: Keys = { ...decl.keys, ...Object.assign({}, ...Object.values(decl.kinds)) };
    const entry = { keys } as Node;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) out.push({ key: `${key}[${i}]`, reload: decl.reload, path: [...path, String(i)] });
      else walk(a[i], b[i], entry, [...path, String(i)], `${key}[${i}]`, out);
    }
    return;
  }
  if (node.keys && !decl.kinds && isPlainObject(a) && isPlainObject(b)) {
    for (const k of union(a, b)) walk(a[k], b[k], node.keys[k], [...path, k], `${key}.${k}`, out);
    return;
  }
  if (!same(a, b)) out.push({ key, reload: decl.reload, path });
}

function subsystemChanges(a: SubsystemConfig[], b: SubsystemConfig[], out: ConfigChange[]): void {
  const byName = new Map(b.map((s) => [s.name, s]));
  const before = new Set(a.map((s) => s.name));
  for (const s of [...a, ...b.filter((x) => !before.has(x.name))]) {
    const n = byName.get(s.name);
    const key = `subsystems.${s.name}`;
    if (!n || !before.has(s.name)) {
      out.push({ key, reload: 'restart', path: ['subsystems', s.name] }); // added or removed: the set is fixed at start
      continue;
    }
    const ra = s as unknown as Record<string, unknown>;
    const rb = n as unknown as Record<string, unknown>;
    for (const field of union(ra, rb)) {
      if (field === 'name') continue;
      const path = ['subsystems', s.name, field];
      if (field === 'check') checkChanges(s, n, key, out);
      else {
        const fileKey = SUBSYSTEM_FIELD[field] ?? field;
        walk(ra[field], rb[field], (SUBSYSTEM_KEYS as Keys)[fileKey], path, `${key}.${fileKey}`, out);
      }
    }
  }
}

/** A check's keys sit beside the subsystem's own in the file; another check type replaces the whole check. */
function checkChanges(a: SubsystemConfig, b: SubsystemConfig, key: string, out: ConfigChange[]): void {
  const path = ['subsystems', a.name, 'check'];
  if (a.check.type !== b.check.type) return void out.push({ key: `${key}.check`, reload: SUBSYSTEM_KEYS.check.reload, path });
  const keys = CHECK_MODULES[a.check.type].keys;
  const ca = a.check as unknown as Record<string, unknown>;
  const cb = b.check as unknown as Record<string, unknown>;
  for (const field of union(ca, cb))
    if (field !== 'type') walk(ca[field], cb[field], keys[field], [...path, field], `${key}.${field}`, out);
}

/** Assigns `next`'s value at a change's path into `running`, in place (everything holds the running object). */
export function applyChange(running: Config, next: Config, path: string[]): void {
  const target = locate(running, path.slice(0, -1));
  const source = locate(next, path.slice(0, -1));
  const last = path[path.length - 1];
  target[last] = source[last];
}

function locate(config: Config, path: string[]): Record<string, unknown> {
  let node: unknown = config;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (i === 1 && path[0] === 'subsystems') node = (node as SubsystemConfig[]).find((s) => s.name === seg);
    else node = (node as Record<string, unknown>)[seg];
  }
  if (typeof node !== 'object' || node === null) throw new Error(`no object at ${path.join('.')}`);
  return node as Record<string, unknown>;
}
