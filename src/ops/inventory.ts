// The fleet inventory: which selfheal instances exist, where their services are, and their labels.
// One file drives `selfheal generate fleet` and `selfheal fleet ...`.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { InventoryEntry } from '../deploy/fleet';
import { UsageError } from './http';

/** A bad inventory: the message names the entry and the field. Exit 3. */
class InventoryError extends UsageError {}

const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED = new Set(['instance', 'job']);
const ENTRY_KEYS = new Set(['instance', 'url', 'labels']);

function entryName(i: number, raw: unknown): string {
  const inst = (raw as { instance?: unknown } | null)?.instance;
  return typeof inst === 'string' && inst ? `instances[${i}] (${inst})` : `instances[${i}]`;
}

function parseEntry(i: number, raw: unknown): InventoryEntry {
  const name = entryName(i, raw);
  const fail = (msg: string): never => {
    throw new InventoryError(`${name}: ${msg}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('expected a mapping with instance, url and optional labels');
  const e = raw as Record<string, unknown>;
  for (const k of Object.keys(e)) if (!ENTRY_KEYS.has(k)) fail(`unknown key "${k}" (instance, url, labels)`);
  if (typeof e.instance !== 'string' || !e.instance.trim())
    fail("instance: required, a non-empty string (the exporter's Prometheus instance label, e.g. trader-1.prod:8477)");
  if (typeof e.url !== 'string' || !e.url) fail('url: required, the base URL of its selfheal service (e.g. http://trader-1.prod:8477)');
  let u: URL | null = null;
  try {
    u = new URL(e.url as string);
  } catch {
    /* below */
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || !u.hostname)
    fail(`url: expected an http(s) base URL, got ${JSON.stringify(e.url)}`);
  const labels: Record<string, string> = {};
  if (e.labels !== undefined) {
    if (e.labels === null || typeof e.labels !== 'object' || Array.isArray(e.labels))
      fail('labels: expected a mapping of label names to values');
    for (const [k, v] of Object.entries(e.labels as Record<string, unknown>)) {
      if (!LABEL.test(k) || k.startsWith('__')) fail(`labels.${k}: not a valid Prometheus label name`);
      if (RESERVED.has(k)) fail(`labels.${k}: reserved (set by Prometheus or by the inventory itself)`);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        fail(`labels.${k}: expected a string, got ${JSON.stringify(v)}`);
      labels[k] = String(v);
    }
  }
  return { instance: (e.instance as string).trim(), url: (e.url as string).replace(/\/+$/, ''), labels };
}

/** Validates an already-parsed inventory document. */
function parseInventory(doc: unknown): InventoryEntry[] {
  const list = (doc as { instances?: unknown } | null)?.instances;
  if (doc === null || typeof doc !== 'object' || !Array.isArray(list))
    throw new InventoryError('inventory: expected a mapping with an "instances" list');
  const extra = Object.keys(doc as object).filter((k) => k !== 'instances');
  if (extra.length) throw new InventoryError(`inventory: unknown key "${extra[0]}" (instances)`);
  if (list.length === 0) throw new InventoryError('instances: empty; list at least one instance');
  const out = list.map((raw, i) => parseEntry(i, raw));
  const seen = new Map<string, number>();
  const urls = new Map<string, number>();
  out.forEach((e, i) => {
    const prev = seen.get(e.instance);
    if (prev !== undefined) throw new InventoryError(`instances[${i}] (${e.instance}): duplicate instance, already instances[${prev}]`);
    seen.set(e.instance, i);
    const prevUrl = urls.get(e.url);
    if (prevUrl !== undefined) throw new InventoryError(`instances[${i}] (${e.instance}): url ${e.url} is already instances[${prevUrl}]'s`);
    urls.set(e.url, i);
  });
  return out;
}

/** Reads an inventory file (YAML or JSON). */
export function loadInventory(path: string): InventoryEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InventoryError(`--inventory: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InventoryError(`${path}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseInventory(doc);
}

/** `--match label=value` filters (all must hold); `instance` matches the instance itself. */
export function parseMatchers(raw: string[]): [string, string][] {
  return raw.map((m) => {
    const i = m.indexOf('=');
    if (i <= 0) throw new UsageError(`--match: expected label=value, got ${JSON.stringify(m)}`);
    return [m.slice(0, i), m.slice(i + 1)];
  });
}

export function matches(e: InventoryEntry, matchers: [string, string][]): boolean {
  return matchers.every(([k, v]) => (k === 'instance' ? e.instance : e.labels[k]) === v);
}
