// JSON over HTTP, shared by the service's routes and the recovery receiver's.
import type { ServerResponse } from 'node:http';

/** Every POST carries JSON: a cross-site form or no-cors fetch (text/plain, no preflight) is refused. */
export function isJson(contentType: string | undefined): boolean {
  return /^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType ?? '');
}

/** The operator's `reason` of a request body: trimmed, at most 500 characters; null when missing or blank. */
export function reasonOf(body: unknown): string | null {
  const r = (body as { reason?: unknown } | undefined)?.reason;
  return typeof r === 'string' && r.trim() ? r.trim().slice(0, 500) : null;
}

/** A JSON answer on a plain Node response (the hot paths served ahead of Express). */
export function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...extra });
  res.end(text);
}
