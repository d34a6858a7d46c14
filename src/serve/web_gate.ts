// Applies the web configuration to every request ahead of all routing: response headers, the rate
// limit, bcrypt basic auth (verifications cached, so a scrape costs a hash lookup, not a bcrypt), and
// the client-certificate policies Node's TLS server does not enforce by itself.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import type { WebConfig } from './web_config';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Compared against when the user is unknown, so unknown and known users cost the same (exporter-toolkit does this). */
const DUMMY_HASH = '$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
const CACHE_MAX = 1024;

export class WebGate {
  private cache = new Map<string, boolean>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private tokens = 0;
  private refilledAt = 0;
  /** bcrypt comparisons run so far (the cache keeps this at one per distinct credential). */
  verifications = 0;

  constructor(
    private web: WebConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = web.rateLimit?.burst ?? 0;
    this.refilledAt = clock();
  }

  get config(): WebConfig {
    return this.web;
  }

  /** A new configuration (reload): cached verifications belong to the old one and are dropped. */
  swap(web: WebConfig): void {
    this.web = web;
    this.cache = new Map();
    this.tokens = web.rateLimit?.burst ?? 0;
    this.refilledAt = this.clock();
  }

  /** Wraps the server's request handler. */
  wrap(next: Handler): Handler {
    return (req, res) => {
      const web = this.web;
      for (const [k, v] of web.headers) res.setHeader(k, v);
      if (web.rateLimit && !this.take(web.rateLimit)) {
        res.writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Too Many Requests\n');
        return;
      }
      if (web.users.size === 0) return next(req, res);
      const cred = parseBasic(req.headers.authorization);
      if (!cred) return unauthorized(res);
      const hash = web.users.get(cred.user);
      const key = createHash('sha256')
        .update(`${cred.user}\0${hash ?? ''}\0${cred.pass}`)
        .digest('base64');
      const known = this.cache.get(key);
      if (known !== undefined) return known ? next(req, res) : unauthorized(res);
      this.verify(key, hash, cred.pass).then(
        (ok) => (ok ? next(req, res) : unauthorized(res)),
        () => unauthorized(res),
      );
    };
  }

  /** Client-certificate policies checked once the handshake is done (Go refuses these in the handshake). */
  checkPeer(socket: TLSSocket): void {
    const web = this.web;
    const mode = web.clientAuth;
    if (mode === 'NoClientCert' || mode === 'RequestClientCert' || (mode === 'RequireAndVerifyClientCert' && web.allowedSans.length === 0))
      return;
    const cert = socket.getPeerCertificate();
    const given = cert && Object.keys(cert).length > 0;
    if (mode === 'RequireAnyClientCert' && !given) return void socket.destroy();
    if (mode === 'VerifyClientCertIfGiven' && given && !socket.authorized) return void socket.destroy();
    if (web.allowedSans.length) {
      const sans = (cert?.subjectaltname ?? '').split(/,\s*/).map((x) => x.slice(x.indexOf(':') + 1));
      if (!web.allowedSans.some((a) => sans.includes(a))) socket.destroy();
    }
  }

  private verify(key: string, hash: string | undefined, pass: string): Promise<boolean> {
    let p = this.inflight.get(key);
    if (!p) {
      const cache = this.cache;
      this.verifications++;
      // $2y$ (htpasswd) is the same algorithm as $2b$; bcryptjs knows only the latter spellings.
      p = bcrypt.compare(pass, (hash ?? DUMMY_HASH).replace(/^\$2y\$/, '$2b$')).then((match) => {
        const ok = match && hash !== undefined;
        if (cache.size >= CACHE_MAX) cache.clear();
        cache.set(key, ok);
        return ok;
      });
      p.finally(() => this.inflight.delete(key)).catch(() => undefined);
      this.inflight.set(key, p);
    }
    return p;
  }

  private take(rl: { intervalMs: number; burst: number }): boolean {
    const now = this.clock();
    this.tokens = Math.min(rl.burst, this.tokens + (now - this.refilledAt) / rl.intervalMs);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function parseBasic(header: string | undefined): { user: string; pass: string } | null {
  if (!header) return null;
  const m = /^basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

function unauthorized(res: ServerResponse): void {
  res.writeHead(401, { 'WWW-Authenticate': 'Basic', 'Content-Type': 'text/plain; charset=utf-8' }).end('Unauthorized\n');
}
