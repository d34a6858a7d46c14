// The console's DOM helpers: elements from data (text only, never HTML), times in words, live
// countdowns, and lists updated in place. A refresh never replaces an element an operator is using:
// rows are keyed, an unchanged row keeps its node, a changed one is patched, and a row in use (focus
// or a pressed pointer inside it, a reason being typed) is left alone until it is free.

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** A table's body: the page's markup has one in each table the script fills. */
export const tbody = (id: string): HTMLTableSectionElement =>
  $(id).querySelector('tbody') ?? $(id).appendChild(document.createElement('tbody'));

/** An element with attributes and children (strings become text nodes). */
export function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export function option(value: string, text = value): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

const time = (iso: string | number) => new Date(iso).toLocaleTimeString([], { hour12: false });
export const dateTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';

export function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A live countdown: the 1-second ticker rewrites it locally (no request). */
export function countdown(untilIso: string, prefix = ''): HTMLElement {
  const el = h('span', { 'data-until': untilIso, 'data-prefix': prefix });
  tickOne(el);
  return el;
}
function tickOne(el: HTMLElement): void {
  const until = Date.parse(el.dataset.until ?? '');
  const left = (until - Date.now()) / 1000;
  el.textContent = `${el.dataset.prefix ?? ''}${left > 0 ? `in ${span(left)}` : 'now'} (at ${time(until)})`;
}
/** Rewrites every countdown and every "for …" since-span. */
export function tick(): void {
  document.querySelectorAll<HTMLElement>('[data-until]').forEach(tickOne);
  document.querySelectorAll<HTMLElement>('[data-since]').forEach((el) => {
    el.textContent = `${el.dataset.prefix ?? ''}${span((Date.now() - Date.parse(el.dataset.since ?? '')) / 1000)}`;
  });
}

// ---- lists updated in place ------------------------------------------------------------------

/** The element a pointer is pressed on, until the press ends (its click has run by then). */
let pressed: Element | null = null;
document.addEventListener('pointerdown', (e) => (pressed = e.target instanceof Element ? e.target : null), true);
const release = () => setTimeout(() => (pressed = null), 0);
document.addEventListener('pointerup', release, true);
document.addEventListener('pointercancel', release, true);

/** Attributes the operator owns (a fold opened by hand): a refresh leaves them as they are. */
const OPERATOR_ATTRS = new Set(['open']);

/** Whether an operator is using something in `el`: focus or a pressed pointer inside it, or a field typed into. */
function inUse(el: Element): boolean {
  if (pressed && el.contains(pressed)) return true;
  const active = document.activeElement;
  if (active && active !== document.body && el.contains(active)) return true;
  return (
    [...el.querySelectorAll('input, textarea')].some((i) => (i as HTMLInputElement).value !== '') ||
    el.querySelector('[aria-invalid]') !== null
  );
}

/** Makes `old` look like `fresh` while keeping `old`'s nodes wherever the shape is the same (event listeners and input values stay). */
function morph(old: Element, fresh: Element): void {
  for (const a of [...old.attributes]) if (!fresh.hasAttribute(a.name) && !OPERATOR_ATTRS.has(a.name)) old.removeAttribute(a.name);
  for (const a of [...fresh.attributes]) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
  const was = old.childNodes;
  const now = [...fresh.childNodes];
  if (was.length !== now.length || now.some((n, i) => n.nodeName !== was[i].nodeName)) return void old.replaceChildren(...now);
  now.forEach((n, i) => {
    const o = was[i];
    if (n instanceof Element) morph(o as Element, n);
    else if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue;
  });
}

/**
 * Sets `parent`'s children to `fresh`, each keyed by its `data-key`: a row whose key was there keeps
 * its node (patched unless in use), rows that went away are removed, new ones inserted where they
 * belong. Nodes already in order are never moved (moving one would take its focus).
 */
export function patchChildren(parent: Element, fresh: HTMLElement[]): void {
  const old = new Map<string, Element>();
  for (const c of [...parent.children]) {
    const k = c.getAttribute('data-key');
    if (k !== null && !old.has(k)) old.set(k, c);
  }
  const next = fresh.map((n) => {
    const key = n.getAttribute('data-key') ?? '\0';
    const prev = old.get(key);
    if (!prev) return n;
    old.delete(key); // a key twice in `fresh` (two equal reasons): the second is a node of its own
    if (!inUse(prev) && !prev.isEqualNode(n)) morph(prev, n);
    return prev;
  });
  const keep = new Set<Node>(next);
  for (const c of [...parent.childNodes]) if (!keep.has(c)) c.remove();
  next.forEach((n, i) => {
    if (parent.childNodes[i] !== n) parent.insertBefore(n, parent.childNodes[i] ?? null);
  });
}
