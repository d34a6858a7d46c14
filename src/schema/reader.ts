// A tiny typed reader over parsed YAML that names the key and the reason on every error,
// and rejects unknown keys so a typo never silently falls back to a default.

/** A configuration that cannot be used; the message names the key and the reason (the CLI exits 3). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Section {
  private readonly used = new Set<string>();
  constructor(
    readonly path: string,
    readonly raw: Record<string, unknown>,
  ) {}

  static of(path: string, v: unknown): Section {
    if (v === undefined || v === null) return new Section(path, {});
    if (!isPlainObject(v)) throw new ConfigError(`${path || 'config'}: expected a mapping, got ${show(v)}`);
    return new Section(path, v);
  }

  key(k: string): string {
    return this.path ? `${this.path}.${k}` : k;
  }

  has(k: string): boolean {
    return this.raw[k] !== undefined && this.raw[k] !== null;
  }

  private get(k: string): unknown {
    this.used.add(k);
    return this.raw[k];
  }

  fail(k: string, reason: string): never {
    throw new ConfigError(`${this.key(k)}: ${reason}`);
  }

  number(k: string, def: number, opts: { min?: number; max?: number; int?: boolean; gt?: number } = {}): number {
    const v = this.get(k);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(k, `expected a number, got ${show(v)}`);
    if (opts.int && !Number.isInteger(v)) this.fail(k, `expected a whole number, got ${v}`);
    if (opts.min !== undefined && v < opts.min) this.fail(k, `must be at least ${opts.min}, got ${v}`);
    if (opts.gt !== undefined && v <= opts.gt) this.fail(k, `must be greater than ${opts.gt}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) this.fail(k, `must be at most ${opts.max}, got ${v}`);
    return v;
  }

  nullableNumber(k: string, def: number | null, opts: { gt?: number } = {}): number | null {
    if (this.raw[k] === null || (this.raw[k] === undefined && def === null)) {
      this.used.add(k);
      return null;
    }
    return this.number(k, def ?? NaN, opts);
  }

  bool(k: string, def: boolean): boolean {
    const v = this.get(k);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(k, `expected true or false, got ${show(v)}`);
    return v;
  }

  string(k: string, def: string): string {
    const v = this.get(k);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || v.length === 0) this.fail(k, `expected a non-empty string, got ${show(v)}`);
    return v;
  }

  optString(k: string): string | null {
    const v = this.get(k);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.length === 0) this.fail(k, `expected a non-empty string, got ${show(v)}`);
    return v;
  }

  oneOf<T extends string>(k: string, allowed: readonly T[], def: T): T {
    const v = this.get(k);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(k, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
    }
    return v as T;
  }

  stringList(k: string, def: string[]): string[] {
    const v = this.get(k);
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v)) this.fail(k, `expected a list of strings, got ${show(v)}`);
    return v.map((item, i) => {
      if (typeof item !== 'string' || item.length === 0) {
        throw new ConfigError(`${this.key(k)}[${i}]: expected a non-empty string, got ${show(item)}`);
      }
      return item;
    });
  }

  list(k: string): unknown[] {
    const v = this.get(k);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(k, `expected a list, got ${show(v)}`);
    return v;
  }

  section(k: string): Section {
    return Section.of(this.key(k), this.get(k));
  }

  raw_(k: string): unknown {
    return this.get(k);
  }

  /** Call after reading every known key. */
  done(): void {
    for (const k of Object.keys(this.raw)) {
      if (!this.used.has(k)) throw new ConfigError(`${this.key(k)}: unknown key`);
    }
  }
}
