// Issue 22 item 6, reload is honest by construction: every value of a parsed Config belongs to a declared
// key with a reload class (a value without one cannot be reloaded silently), and every declared key is
// a value of the Config. The walk goes over a Config that sets every key (test/helpers/full_config.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyChange, configChanges } from '../../src/config/changes';
import { parseConfig } from '../../src/config/load';
import { RECOVERY_KEYS, ROOT_KEYS, SECTIONS, SUBSYSTEM_KEYS } from '../../src/config/schema';
import type { Config } from '../../src/config/types';
import { CHECK_MODULES, CHECK_TYPES } from '../../src/detect/registry';
import type { Key, Keys } from '../../src/schema/keys';
import { tempDir } from '../helpers/fs';
import { fullRawConfig } from '../helpers/full_config';

/** Declared keys that hold no value of their own in the parsed Config: they are read into another key. */
const FILE_ONLY: Record<string, string> = {
  'api.token_file': 'read into api.token',
  'receiver.bearer_token_file': 'read into receiver.bearer_token',
  'receiver.basic_auth.password_file': 'read into receiver.basic_auth.password',
};

/** Every declared key, as `a.b`, `recovery.handlers[].x`, `subsystems.*.x`, with its class. */
function declared(): Map<string, string> {
  const out = new Map<string, string>();
  const add = (prefix: string, keys: Keys) => {
    for (const [name, k] of Object.entries(keys) as [string, Key<unknown>][]) {
      const path = `${prefix}${name}`;
      if (k.kinds) {
        add(`${path}[].`, k.keys ?? {});
        for (const kind of Object.values(k.kinds)) add(`${path}[].`, kind);
      } else if (k.keys) add(`${path}.`, k.keys);
      else out.set(path, k.reload);
    }
  };
  add('', ROOT_KEYS);
  for (const [name, keys] of Object.entries(SECTIONS)) add(`${name}.`, keys);
  add('subsystems.*.', SUBSYSTEM_KEYS);
  for (const t of CHECK_TYPES) add('subsystems.*.', CHECK_MODULES[t].keys);
  return out;
}

/** Every leaf of a parsed Config: its path (subsystems by name) and its value. */
function leaves(node: unknown, path: string[] = []): { path: string[]; value: unknown }[] {
  if (path.length === 1 && path[0] === 'subsystems')
    return (node as Config['subsystems']).flatMap((s) => leaves(s, ['subsystems', s.name]));
  if (Array.isArray(node) && node.some((x) => x !== null && typeof x === 'object'))
    return node.flatMap((x, i) => leaves(x, [...path, String(i)]));
  if (node !== null && typeof node === 'object' && !Array.isArray(node))
    return Object.entries(node).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value: node }];
}

const TCP_CHECK = { check: 'tcp', host: 'h', port: 1 };
const HTTP_CHECK = { check: 'http', url: 'http://h/' };

function other(v: unknown): unknown {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return [...(v as unknown[]), 'x'];
  if (typeof v === 'string') return `${v}x`;
  return 'x'; // null, undefined
}

/** `subsystems.data_feed.check.path` → `subsystems.*.path` (the file's spelling, as declared). */
function fileKey(key: string): string {
  return key.replace(/^subsystems\.[a-z0-9_]+\./, 'subsystems.*.').replace(/\[\d+\]/g, '[]');
}

describe('reload classes: the parsed Config against the declarations', () => {
  const root = tempDir();
  const full = () => parseConfig(fullRawConfig(root), '/');

  it('every value of the Config is a declared key with a reload class, and a change to it is named with that class', () => {
    const base = full();
    const seen = new Set<string>();
    const all = leaves(base);
    assert.ok(all.length > 150, `${all.length} values`);
    for (const { path, value } of all) {
      if (path[0] === 'subsystems' && path.length === 3 && path[2] === 'name') continue; // its identity, not a setting
      const next = full();
      const at = path.slice(0, -1);
      const holder = at.reduce<unknown>(
        (n, seg, i) =>
          i === 1 && at[0] === 'subsystems' ? (n as Config['subsystems']).find((s) => s.name === seg) : (n as Record<string, unknown>)[seg],
        next,
      ) as Record<string, unknown>;
      if (path.at(-2) === 'check' && path.at(-1) === 'type') {
        // Another check type: the subsystem gets a whole check of that type.
        const sub = next.subsystems.find((x) => x.name === path[1])!;
        sub.check = parseConfig({ subsystems: { x: value === 'tcp' ? HTTP_CHECK : TCP_CHECK } }, '/').subsystems.at(-1)!.check;
      } else holder[path[path.length - 1]] = other(value);
      const changes = configChanges(base, next);
      const where = path.join('.');
      assert.equal(changes.length, 1, `${where}: ${JSON.stringify(changes)}`);
      const [c] = changes;
      assert.ok(c.reload === 'live' || c.reload === 'restart', where);
      assert.deepEqual(path.slice(0, c.path.length), c.path, `${where}: the change's path is the value's (or holds it)`);
      seen.add(fileKey(c.key));
      // A live change is applied by assigning the next value in place: afterwards nothing differs.
      const running = full();
      applyChange(running, next, c.path);
      assert.deepEqual(configChanges(running, next), [], `${where}: applied`);
    }
    const missing = [...declared().keys()].filter((k) => !seen.has(k) && !(k in FILE_ONLY));
    // `check` (the type) is seen as subsystems.*.check only when the type changes: the walk changes check.type.
    assert.deepEqual(missing, [], 'declared keys the full config does not exercise');
  });

  it('a value with no declaration is an error, never a silent "ok, changed: []"', () => {
    const a = full();
    const b = full();
    (b as unknown as Record<string, unknown>).undeclared = 1;
    assert.throws(() => configChanges(a, b), /^Error: undeclared: a configuration value with no declared key/);
    const c = full();
    (c.api as unknown as Record<string, unknown>).undeclared_limit = 8;
    assert.throws(() => configChanges(a, c), /^Error: api\.undeclared_limit: a configuration value with no declared key/);
  });

  it('every declaration has a class, and the classes are the ones docs/configuration.md lists', () => {
    const classes = declared();
    assert.ok(classes.size >= 90, `${classes.size} keys`);
    for (const [k, c] of classes) assert.ok(c === 'live' || c === 'restart', k);
    // The keys issue 22 named as answering {"ok":true,"changed":[]} while not applied: each is now live.
    for (const k of ['instance', 'max_clock_skew_sec', 'receiver.body_timeout_sec', 'api.max_connections', 'console.grafana_url'])
      assert.equal(classes.get(k), 'live', k);
    for (const k of ['host', 'port', 'data_dir', 'report_path', 'receiver.enabled', 'subsystems.*.enabled'])
      assert.equal(classes.get(k), 'restart', k);
    for (const k of Object.keys(RECOVERY_KEYS)) if (k !== 'handlers') assert.equal(classes.get(`recovery.${k}`), 'restart', k);
  });

  it('subsystems added or removed, and another check type, are named', () => {
    const a = parseConfig({}, '/');
    const b = parseConfig(
      { subsystems: { hedger: { check: 'tcp', host: 'h', port: 1 }, logging: { check: 'file_presence', path: 'x' } } },
      '/',
    );
    const by = (cs: ReturnType<typeof configChanges>) => Object.fromEntries(cs.map((c) => [c.key, c.reload]));
    // database's dependents are "every other": hedger joins them.
    const want = { 'subsystems.hedger': 'restart', 'subsystems.logging.check': 'live', 'subsystems.database.dependents': 'live' };
    assert.deepEqual(by(configChanges(a, b)), want);
    assert.deepEqual(by(configChanges(b, a)), want);
  });
});
