// Config keys declared once: type, default, unit, description and reload class. From a declaration
// come the parser's validation and error messages (it reads itself through a Section), the key's
// JSON Schema (docs/selfheal.schema.json) and its row in docs/configuration.md; the reload classes
// decide what a reload applies and what it refuses (serve/reload.ts). Adding a key is one declaration.
import { ConfigError, Section } from './reader';

/** `live`: a reload applies it (every reader reads it where it is used); `restart`: a reload that changes it is refused. */
export type Reload = 'live' | 'restart';

/** A JSON Schema object (the subset docs/selfheal.schema.json uses). */
export type JsonSchema = Record<string, unknown>;

/** What every declaration says about its key. */
export interface KeyDoc {
  description: string;
  reload: Reload;
  /** The unit of a number (seconds, bytes, percent, ratio …). */
  unit?: string;
  /** The default as the docs show it, when it is computed (e.g. "max(15, 3 × critical_check_interval)"). */
  defaultText?: string;
  /** An environment variable read when the key is not set. */
  env?: string;
}

/** One declared key: reads itself (validation, messages), describes itself (schema, docs). */
export interface Key<T> extends KeyDoc {
  /** The type as the docs show it. */
  readonly type: string;
  /** The declared default (undefined: required, or none). */
  readonly default: T | undefined;
  /** Required: a missing key is an error naming it. */
  readonly required: boolean;
  /** Reads the key from a section; `def` replaces the declared default (a computed one). */
  read(s: Section, name: string, def?: T): T;
  /** The JSON Schema of its values. */
  schema(): JsonSchema;
  /** A section's keys (a nested mapping), or a tagged list's common keys, for the docs and the reload classes. */
  readonly keys?: Keys;
  /** A tagged list's variants: the key that names each kind, and that kind's keys. */
  readonly kinds?: Record<string, Keys>;
}

/** A set of declared keys, by name (a config section, a check type's keys). */
export type Keys = Record<string, Key<unknown>>;
/** The value type of a declared key. */
export type ValueOf<K> = K extends Key<infer T> ? T : never;
/** The values of a set of declared keys. */
export type Values<K extends Keys> = { -readonly [P in keyof K]: ValueOf<K[P]> };

interface Base<T> extends KeyDoc {
  default?: T;
  required?: boolean;
}

function key<T>(
  type: string,
  o: Base<T>,
  read: Key<T>['read'],
  schema: () => JsonSchema,
  nested: { keys?: Keys; kinds?: Record<string, Keys> } = {},
): Key<T> {
  const { default: def, required = false, ...doc } = o;
  return {
    ...doc,
    type,
    default: def,
    required,
    read,
    ...nested,
    schema: () => {
      const s: JsonSchema = { ...schema(), description: o.description };
      if (def !== undefined && def !== null && !o.defaultText) s.default = def;
      return s;
    },
  };
}

/** Bounds of a number, checked with the reader's messages ("must be at least 1, got 0"). */
export interface NumberBounds {
  min?: number;
  max?: number;
  /** Exclusive lower bound. */
  gt?: number;
  int?: boolean;
}

function numberSchema(b: NumberBounds): JsonSchema {
  const s: JsonSchema = { type: b.int ? 'integer' : 'number' };
  if (b.min !== undefined) s.minimum = b.min;
  if (b.gt !== undefined) s.exclusiveMinimum = b.gt;
  if (b.max !== undefined) s.maximum = b.max;
  return s;
}

/** A number (a whole one with `int`). */
export function num(o: Base<number> & NumberBounds): Key<number> {
  const { min, max, gt, int } = o;
  const b = { min, max, gt, int };
  return key(
    int ? 'integer' : 'number',
    o,
    (s, k, def) => {
      if (o.required && !s.has(k)) s.fail(k, 'required');
      return s.number(k, def ?? o.default ?? NaN, b);
    },
    () => numberSchema(b),
  );
}

/** A number or null (null: no limit); the default may be either. */
export function optNum(o: Base<number | null> & NumberBounds): Key<number | null> {
  const b = { gt: o.gt, min: o.min, max: o.max, int: o.int };
  return key(
    'number or null',
    o,
    (s, k, def) => s.nullableNumber(k, def === undefined ? (o.default ?? null) : def, b),
    () => ({ ...numberSchema(b), type: [b.int ? 'integer' : 'number', 'null'] }),
  );
}

/** true or false. */
export function bool(o: Base<boolean>): Key<boolean> {
  return key(
    'boolean',
    o,
    (s, k, def) => s.bool(k, def ?? o.default ?? false),
    () => ({ type: 'boolean' }),
  );
}

/** A pattern a string must match, with what the error says it expected. */
export interface Pattern {
  re: RegExp;
  expected: string;
}

/** An http(s) URL (checks, handlers, the console's Grafana link). */
export const HTTP_URL: Pattern = { re: /^https?:\/\/[^\s]+$/, expected: 'an http(s) URL' };

function checkPattern(s: Section, k: string, v: string, p: Pattern | undefined): void {
  if (p && !p.re.test(v)) s.fail(k, `expected ${p.expected}, got ${JSON.stringify(v)}`);
}

function stringSchema(p: Pattern | undefined): JsonSchema {
  return p ? { type: 'string', minLength: 1, pattern: p.re.source } : { type: 'string', minLength: 1 };
}

/** A non-empty string with a default, or `required`. */
export function str(o: Base<string> & { pattern?: Pattern }): Key<string> {
  return key(
    'string',
    o,
    (s, k, def) => {
      const v = s.string(k, def ?? o.default ?? '');
      if (!v) s.fail(k, 'required');
      checkPattern(s, k, v, o.pattern);
      return v;
    },
    () => stringSchema(o.pattern),
  );
}

/** A non-empty string, or null when not set. */
export function optStr(o: Omit<Base<string | null>, 'default' | 'required'> & { pattern?: Pattern }): Key<string | null> {
  return key(
    'string',
    o,
    (s, k) => {
      const v = s.optString(k);
      if (v !== null) checkPattern(s, k, v, o.pattern);
      return v;
    },
    () => ({ ...stringSchema(o.pattern), type: ['string', 'null'] }),
  );
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(values: readonly T[], o: Omit<Base<T>, 'default'> & { default?: NoInfer<T> }): Key<T> {
  return key(
    `one of ${values.join(', ')}`,
    o,
    (s, k, def) => {
      if (o.required && !s.has(k)) s.fail(k, 'required');
      return s.oneOf(k, values, def ?? o.default ?? values[0]);
    },
    () => ({ enum: [...values] }),
  );
}

/** A list of non-empty strings; with `values`, each one of them; with `nonEmpty`, at least one. */
export function strings<T extends string = string>(
  o: Omit<Base<T[]>, 'default'> & { default?: NoInfer<T>[]; values?: readonly T[]; pattern?: Pattern; nonEmpty?: string },
): Key<T[]> {
  return key(
    o.values ? `list of: ${o.values.join(', ')}` : 'list of strings',
    o,
    (s, k, def) => {
      const list = s.stringList(k, def ?? o.default ?? []);
      list.forEach((v, i) => {
        if (o.values && !(o.values as readonly string[]).includes(v))
          throw new ConfigError(`${s.key(k)}[${i}]: expected one of ${o.values.join(', ')}, got "${v}"`);
        if (o.pattern && !o.pattern.re.test(v))
          throw new ConfigError(`${s.key(k)}[${i}]: expected ${o.pattern.expected}, got ${JSON.stringify(v)}`);
      });
      if (o.nonEmpty && list.length === 0) s.fail(k, o.nonEmpty);
      return list as T[];
    },
    () => {
      const items = o.values ? { enum: [...o.values] } : stringSchema(o.pattern);
      return o.nonEmpty ? { type: 'array', items, minItems: 1 } : { type: 'array', items };
    },
  );
}

/** A mapping of names to non-empty strings (HTTP headers). */
export function stringMap(o: Base<Record<string, string>>): Key<Record<string, string>> {
  return key(
    'mapping of strings',
    o,
    (s, k) => {
      const m = s.section(k);
      const out: Record<string, string> = {};
      for (const name of Object.keys(m.raw)) out[name] = m.string(name, '');
      m.done();
      return out;
    },
    () => ({ type: 'object', additionalProperties: { type: 'string' } }),
  );
}

/** A nested mapping of declared keys, read whole (unknown keys are errors). */
export function section<K extends Keys>(keys: K, o: Omit<Base<Values<K>>, 'default'>): Key<Values<K>> {
  return key(
    'mapping',
    o,
    (s, k) => {
      const sub = s.section(k);
      const v = readKeys(sub, keys);
      sub.done();
      return v;
    },
    () => objectSchema(keys),
    { keys },
  );
}

/** One entry of a tagged list: the common keys, and each kind's value under its own key (null when another kind). */
export type Tagged<C extends Keys, V extends Record<string, Keys>> = Values<C> & { [T in keyof V]: Values<V[T]>[T & keyof V[T]] | null };

/**
 * A list of tagged variants (recovery handlers): each entry has the common keys and exactly one kind's
 * key (`exec: [...]`, `http: {...}`), plus that kind's other keys. `kinds` maps each kind to its keys,
 * the first being the tag itself.
 */
export function taggedList<C extends Keys, V extends Record<string, Keys>>(
  common: C,
  kinds: V,
  o: Omit<Base<Tagged<C, V>[]>, 'default'> & { what: string },
): Key<Tagged<C, V>[]> {
  const tags = Object.keys(kinds);
  const one = tags.length === 2 ? tags.join(' or ') : `${tags.slice(0, -1).join(', ')} or ${tags.at(-1)}`;
  const read = (s: Section, k: string) =>
    s.list(k).map((raw, i) => {
      const e = Section.of(`${s.key(k)}[${i}]`, raw);
      const out: Record<string, unknown> = readKeys(e, common);
      const present = tags.filter((t) => e.has(t));
      for (const t of tags) out[t] = null;
      if (present.length !== 1) e.fail(present[0] ?? tags[0], `a ${o.what} needs exactly one of ${one}`);
      Object.assign(out, readKeys(e, kinds[present[0]]));
      e.done();
      return out as Tagged<C, V>;
    });
  const schema = () => {
    const variant = (t: string) => {
      const keys = { ...common, ...kinds[t] };
      return objectSchema(keys, { required: [...new Set([...Object.keys(keys).filter((n) => keys[n].required), t])] });
    };
    return { type: 'array', items: { oneOf: tags.map(variant) } };
  };
  return key(`list of ${o.what}s`, { ...o, default: [] }, read, schema, { keys: common, kinds });
}

/** A key read by hand (its own `read`), for the few whose shape no builder has. */
export function custom<T>(type: string, o: Base<T>, read: Key<T>['read'], schema: () => JsonSchema): Key<T> {
  return key(type, o, read, schema);
}

/** Reads every declared key of a section, in declaration order; `defaults` replace declared ones (computed defaults). */
export function readKeys<K extends Keys>(s: Section, keys: K, defaults: Partial<Values<K>> = {}): Values<K> {
  const out: Record<string, unknown> = {};
  for (const [name, k] of Object.entries(keys)) out[name] = k.read(s, name, defaults[name]);
  return out as Values<K>;
}

/** Reads one declared key. */
export function take<K extends Keys, N extends keyof K & string>(s: Section, keys: K, name: N, def?: ValueOf<K[N]>): ValueOf<K[N]> {
  return keys[name].read(s, name, def) as ValueOf<K[N]>;
}

/** A closed object of declared keys (unknown keys are errors, as in the parser). */
export function objectSchema(keys: Keys, extra: { required?: string[]; properties?: Record<string, JsonSchema> } = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, k] of Object.entries(keys)) properties[name] = k.schema();
  Object.assign(properties, extra.properties ?? {});
  const required = extra.required ?? Object.keys(keys).filter((n) => keys[n].required);
  const s: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length) s.required = required;
  return s;
}
