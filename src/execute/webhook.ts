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
  if (typeof a.startsAt !== 'string' || Number.isNaN(Date.parse(a.startsAt))) return `${p}.startsAt: expected an RFC 3339 time`;
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
