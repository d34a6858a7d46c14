// The two exposition formats and the content negotiation of a scrape. A scrape's answer is chosen
// from bytes made once per change of the metrics (see Exposition in metrics.ts); nothing here renders.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { writeParts, type Encoded } from '../http/send';

/** `text`: Prometheus text format 0.0.4; `openmetrics`: OpenMetrics 1.0.0. */
export type Format = 'text' | 'openmetrics';

export const CONTENT_TYPE: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** What a scrape asked for. */
export interface Want {
  format: Format;
  gzip: boolean;
}

interface Entry {
  type: string;
  params: Map<string, string>;
  q: number;
}

function entries(header: string): Entry[] {
  return header.split(',').map((raw) => {
    const [type, ...rest] = raw.split(';').map((s) => s.trim());
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
  });
}

/**
 * OpenMetrics 1.0.0 when the Accept header prefers it (as Prometheus's own scrapes do) to the text
 * format; the text format otherwise, and for a missing header, `*∕*` or a version we do not speak.
 */
export function formatOf(accept: string | undefined): Format {
  if (!accept || !accept.includes('openmetrics')) return 'text';
  let om = 0;
  let text = 0;
  for (const e of entries(accept)) {
    const version = e.params.get('version');
    if (e.type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0')) om = Math.max(om, e.q);
    else if ((e.type === 'text/plain' && (version === undefined || version === '0.0.4')) || e.type === 'text/*' || e.type === '*/*')
      text = Math.max(text, e.q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

/** gzip when Accept-Encoding allows it (`gzip` or `*`, q above 0). */
export function gzipOf(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let gzip: number | null = null;
  let star: number | null = null;
  for (const e of entries(acceptEncoding)) {
    if (e.type === 'gzip' || e.type === 'x-gzip') gzip = e.q;
    else if (e.type === '*') star = e.q;
  }
  return (gzip ?? star ?? 0) > 0;
}

// Scrapers send the same few headers every time: decide each once.
const MEMO_MAX = 64;
const formats = new Map<string, Format>();
const encodings = new Map<string, boolean>();

function memo<T>(map: Map<string, T>, key: string | undefined, f: (k: string | undefined) => T): T {
  if (key === undefined) return f(key);
  let v = map.get(key);
  if (v === undefined) {
    v = f(key);
    if (map.size >= MEMO_MAX) map.clear();
    map.set(key, v);
  }
  return v;
}

/** The format and encoding a scrape's headers ask for. */
export function negotiate(headers: IncomingHttpHeaders): Want {
  return { format: memo(formats, headers.accept, formatOf), gzip: memo(encodings, headers['accept-encoding'], gzipOf) };
}

/**
 * The OpenMetrics form of prom-client's text output (the small, non-subsystem part of the exposition):
 * counters' families are named without `_total` (their samples keep it), HELP escapes `"`, no blank
 * lines, NaN spelled `NaN`. prom-client's own OpenMetrics mode renames the counters in place, which would break every
 * later text-format render of the same registry, so it is not used.
 */
export function toOpenMetrics(text: string): string {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const family = new Map<string, string>(); // name as written → OpenMetrics family name
  for (const l of lines) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(l);
    if (m && m[2] === 'counter') family.set(m[1], m[1].replace(/_total$/, ''));
  }
  const out: string[] = [];
  for (const l of lines) {
    const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(l);
    if (m) {
      const name = family.get(m[2]) ?? m[2];
      const rest = m[1] === 'HELP' ? m[3].replace(/"/g, '\\"') : m[3] === 'untyped' ? 'unknown' : m[3];
      out.push(`# ${m[1]} ${name} ${rest}`);
      continue;
    }
    if (l.startsWith('#')) continue;
    // A counter written without `_total` gets it on its samples; prom-client writes NaN as `Nan`.
    const name = /^[^{ ]+/.exec(l)?.[0] ?? '';
    const fam = family.get(name);
    const sample = l.endsWith(' Nan') ? `${l.slice(0, -3)}NaN` : l;
    out.push(fam !== undefined && fam === name ? `${name}_total${sample.slice(name.length)}` : sample);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export const EOF = '# EOF\n';

/** A scrape's answer in the negotiated format and encoding. */
export function sendScrape(res: ServerResponse, want: Want, body: Encoded): void {
  const head = ['Content-Type', CONTENT_TYPE[want.format], 'Content-Length', String(body.length), 'Vary', 'Accept, Accept-Encoding'];
  if (want.gzip) head.push('Content-Encoding', 'gzip');
  writeParts(res, head, body);
}
