// Alertmanager's webhook payload (version 4), validated leniently: unknown fields are fine,
// what we rely on must be there and well-typed; the error names the field and the reason.

export interface AlertIn {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  generatorURL: string;
}

export interface WebhookIn {
  receiver: string;
  groupKey: string;
  alerts: AlertIn[];
}

export type Parsed = { ok: true; value: WebhookIn } | { ok: false; error: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strMap(v: unknown, path: string): Record<string, string> | string {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) return `${path}: expected an object of strings`;
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') return `${path}.${k}: expected a string`;
  return v as Record<string, string>;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 date-time (Go's time.RFC3339Nano, what Alertmanager sends), with a real calendar date:
 * `Date.parse` alone takes "1" and "2026-02-30". Alertmanager's zero time `0001-01-01T00:00:00Z`
 * (a firing alert's endsAt) is one.
 */
export function isRfc3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  return days !== undefined && d >= 1 && d <= days && h <= 23 && mi <= 59 && se <= 60 && offsetOk;
}

/** The error of a field that is not an RFC 3339 time, naming it and what it got. */
function notATime(v: unknown, path: string): string {
  const got = typeof v === 'string' ? JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v) : v === undefined ? 'nothing' : typeof v;
  return `${path}: expected an RFC 3339 time (e.g. 2026-11-29T12:00:00Z), got ${got}`;
}

/** Alertmanager's own fingerprint is 16 hex digits; we accept any short printable id. */
const FINGERPRINT = /^[A-Za-z0-9_.:-]{1,128}$/;

/** One alert of a delivery, or the error naming its field. */
export function parseAlert(a: unknown, i: number): AlertIn | string {
  const p = `alerts[${i}]`;
  if (!isObj(a)) return `${p}: expected an object`;
  if (a.status !== 'firing' && a.status !== 'resolved') return `${p}.status: expected "firing" or "resolved"`;
  const labels = strMap(a.labels, `${p}.labels`);
  if (typeof labels === 'string') return labels;
  const annotations = strMap(a.annotations, `${p}.annotations`);
  if (typeof annotations === 'string') return annotations;
  if (typeof a.startsAt !== 'string' || !isRfc3339(a.startsAt)) return notATime(a.startsAt, `${p}.startsAt`);
  // Absent is fine (we do not use it); present, it is a time — Alertmanager's zero time included.
  if (a.endsAt !== undefined && (typeof a.endsAt !== 'string' || !isRfc3339(a.endsAt))) return notATime(a.endsAt, `${p}.endsAt`);
  if (typeof a.fingerprint !== 'string' || !FINGERPRINT.test(a.fingerprint)) return `${p}.fingerprint: expected an alert fingerprint`;
  return {
    status: a.status,
    labels,
    annotations,
    startsAt: a.startsAt,
    endsAt: typeof a.endsAt === 'string' ? a.endsAt : '',
    fingerprint: a.fingerprint,
    generatorURL: typeof a.generatorURL === 'string' ? a.generatorURL : '',
  };
}

/** A delivery's envelope; `alerts` are parsed by `parseAlert` (all of them, unless `from`/`to` say otherwise). */
export function parseWebhook(body: unknown, from = 0, to = Infinity): Parsed {
  if (!isObj(body)) return { ok: false, error: 'body: expected a JSON object' };
  if (body.version !== undefined && body.version !== '4')
    return { ok: false, error: `version: expected "4", got ${JSON.stringify(body.version)}` };
  if (!Array.isArray(body.alerts)) return { ok: false, error: 'alerts: expected a list' };
  const alerts: AlertIn[] = [];
  for (let i = from; i < Math.min(to, body.alerts.length); i++) {
    const a = parseAlert(body.alerts[i], i);
    if (typeof a === 'string') return { ok: false, error: a };
    alerts.push(a);
  }
  return {
    ok: true,
    value: {
      receiver: typeof body.receiver === 'string' ? body.receiver : '',
      groupKey: typeof body.groupKey === 'string' ? body.groupKey : '',
      alerts,
    },
  };
}
