// `http:` handlers: the action posted as JSON to a URL.
import { clip, type ActionContext, type EffectResult, type HandlerModule } from './handler';

export interface HttpHandlerSpec {
  kind: 'http';
  url: string;
  method: string;
  headers: Record<string, string>;
}

/** The most of an HTTP handler's answer that is read (the rest is dropped; the detail is clipped anyway). */
const MAX_HTTP_ANSWER_BYTES = 64 * 1024;

export async function runHttp(h: Omit<HttpHandlerSpec, 'kind'>, ctx: ActionContext, timeoutSec: number): Promise<EffectResult> {
  try {
    const res = await fetch(h.url, {
      method: h.method,
      headers: { 'content-type': 'application/json', ...h.headers },
      body:
        h.method === 'GET'
          ? undefined
          : JSON.stringify({
              action: ctx.action,
              subsystem: ctx.subsystem,
              severity: ctx.severity,
              alertname: ctx.alertname,
              fingerprint: ctx.fingerprint,
              starts_at: ctx.startsAt,
              labels: ctx.labels,
            }),
      signal: AbortSignal.timeout(timeoutSec * 1000),
    });
    const text = await readCapped(res, MAX_HTTP_ANSWER_BYTES).catch(() => '');
    return { ok: res.ok, detail: clip(`HTTP ${res.status}${text ? `: ${text}` : ''}`) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return {
      ok: false,
      detail: e.name === 'TimeoutError' ? `timed out after ${timeoutSec}s` : `request failed: ${e.cause?.code ?? e.message}`,
    };
  }
}

/** Reads at most `limit` bytes of an answer, then cancels the rest (a 100 MB answer costs 64 KiB). */
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  if (size >= limit) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** `http: {url, method?, headers?}`. */
export const httpHandler: HandlerModule<HttpHandlerSpec> = {
  run(spec, ctx, timeoutSec) {
    return runHttp(spec, ctx, timeoutSec);
  },
  // A check never posts an action: an HTTP target is not probed.
  async probe() {
    return null;
  },
  target(spec) {
    return spec.url;
  },
};
