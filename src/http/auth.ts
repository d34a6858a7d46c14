// Credentials compared in constant time; with none configured, only loopback callers pass.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** Whether two secrets are equal, in time independent of where they differ and of their lengths. */
function safeEqual(a: string, b: string): boolean {
  // Hashing first makes the comparison length-independent.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A request's client, by address: `::ffff:10.1.2.3` and `10.1.2.3` are one client. */
export function clientOf(req: Pick<IncomingMessage, 'socket'>): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** Whether a peer address is the loopback interface (IPv4, IPv6, or IPv4-mapped IPv6). */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\./.test(a);
}

/** What a caller must present: a bearer token, basic-auth credentials, or either when both are set. */
export interface Credentials {
  bearer: string | null;
  basic: { username: string; password: string } | null;
}

/** Works on Express requests and on plain Node requests alike. */
export function checkCredentials(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  creds: Credentials,
): { ok: true } | { ok: false; status: number; reason: string } {
  if (!creds.bearer && !creds.basic) {
    return isLoopback(req.socket.remoteAddress)
      ? { ok: true }
      : { ok: false, status: 403, reason: 'no credential is configured, so only loopback callers are accepted' };
  }
  // Behind web-config basic auth the Authorization header carries the web user: the token then travels here.
  const alt = req.headers['x-selfheal-token'];
  if (creds.bearer && typeof alt === 'string' && safeEqual(alt, creds.bearer)) return { ok: true };
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(/\s+/, 2);
  if (creds.bearer && /^bearer$/i.test(scheme ?? '') && safeEqual(value, creds.bearer)) return { ok: true };
  if (creds.basic && /^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const userOk = safeEqual(decoded.slice(0, Math.max(0, i)), creds.basic.username);
    const passOk = safeEqual(decoded.slice(i + 1), creds.basic.password);
    if (i >= 0 && userOk && passOk) return { ok: true };
  }
  return { ok: false, status: 401, reason: header ? 'invalid credentials' : 'missing Authorization header' };
}

/** `creds` may be a function, read on every request, so a reloaded token takes effect at once. */
export function requireAuth(creds: Credentials | (() => Credentials)) {
  const get = typeof creds === 'function' ? creds : () => creds;
  return (req: Request, res: Response, next: NextFunction) => {
    const c = get();
    const r = checkCredentials(req, c);
    if (r.ok) return next();
    if (r.status === 401) res.set('WWW-Authenticate', c.basic ? 'Basic realm="selfheal"' : 'Bearer');
    // The body of a refused request is never read: the connection closes after the answer.
    res.set('Connection', 'close').status(r.status).json({ error: r.reason });
  };
}
