// Applies the web configuration to every request ahead of all routing: response headers, the rate
// limit, bcrypt basic auth (verifications cached, so a scrape costs a hash lookup, not a bcrypt), and
// the client-certificate policies Node's TLS server does not enforce by itself.
//
// A password flood cannot be turned against the service (issue 25): bcrypt runs in a worker thread
// with a bounded queue (BcryptQueue), an address that keeps failing is answered 429 without any
// bcrypt (FAILURES_*), and the web config's rate_limit applies per client address to requests that
// are not already authenticated by a cached verification — a caller whose credentials were verified
// is never rate limited or queued behind an attacker.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { BcryptBusy, BcryptQueue, Buckets } from './auth_limits';
import { clientOf } from './auth';
import type { WebConfig } from './web_config';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Compared against when the user is unknown, so unknown and known users cost the same (exporter-toolkit does this). */
const DUMMY_HASH = '$2b$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
/** Verified credentials remembered (the oldest forgotten first); failed ones, apart, so a flood cannot evict them. */
const CACHE_MAX = 1024;
/** Failed password checks an address may have at once, then one per FAILURES_INTERVAL_MS (10 a minute). */
export const FAILURES_BURST = 10;
export const FAILURES_INTERVAL_MS = 6000;
/** bcrypt comparisons waiting or running at most (one worker thread); beyond, 429 at once. */
export const BCRYPT_QUEUE = 4;

/** The web configuration applied to requests: headers, rate limit, basic auth, client certificates. */
export class WebGate {
  private readonly good = new Map<string, true>();
  private readonly bad = new Set<string>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private limiter: Buckets | null;
  private readonly failures: Buckets;
  private readonly bcrypt = new BcryptQueue(BCRYPT_QUEUE);
  /** bcrypt comparisons run so far (the cache keeps this at one per distinct credential). */
  verifications = 0;
  /** Requests answered 429: rate limited, an address that failed too often, or the bcrypt queue full. */
  refused = 0;

  constructor(
    private web: WebConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.limiter = this.limiterFor(web);
    this.failures = new Buckets(FAILURES_BURST, FAILURES_INTERVAL_MS, clock);
  }

  /** The web configuration in force. */
  get config(): WebConfig {
    return this.web;
  }

  /**
   * A new configuration (reload). Cached verifications are kept: their key holds the user's hash, so a
   * changed or removed user never matches an old entry, and a reload that changes nothing costs no bcrypt.
   */
  swap(web: WebConfig): void {
    this.web = web;
    this.limiter = this.limiterFor(web);
  }

  /** Stops the password worker (the service stops). */
  close(): Promise<void> {
    return this.bcrypt.close();
  }

  private limiterFor(web: WebConfig): Buckets | null {
    return web.rateLimit ? new Buckets(web.rateLimit.burst, web.rateLimit.intervalMs, this.clock) : null;
  }

  /** Wraps the server's request handler. */
  wrap(next: Handler): Handler {
    return (req, res) => {
      const web = this.web;
      for (const [k, v] of web.headers) res.setHeader(k, v);
      const client = clientOf(req);
      const cred = web.users.size ? parseBasic(req.headers.authorization) : null;
      const hash = cred ? web.users.get(cred.user) : undefined;
      const key = cred
        ? createHash('sha256')
            .update(`${cred.user}\0${hash ?? ''}\0${cred.pass}`)
            .digest('base64')
        : '';
      // Already verified: a hash lookup, never limited.
      if (cred && this.good.has(key)) return next(req, res);
      if (this.limiter && !this.limiter.take(client)) return this.tooMany(res, this.limiter.waitMs(client));
      if (web.users.size === 0) return next(req, res);
      if (!cred || this.bad.has(key)) return unauthorized(res);
      if (!this.failures.has(client)) return this.tooMany(res, this.failures.waitMs(client));
      this.verify(key, hash, cred.pass).then(
        (ok) => {
          if (ok) return next(req, res);
          this.failures.take(client);
          unauthorized(res);
        },
        (err: unknown) => (err instanceof BcryptBusy ? this.tooMany(res, 1000) : unauthorized(res)),
      );
    };
  }

  private tooMany(res: ServerResponse, waitMs: number): void {
    this.refused++;
    res
      .writeHead(429, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) })
      .end('Too Many Requests\n');
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
      const { good, bad } = this;
      // $2y$ (htpasswd) is the same algorithm as $2b$; bcryptjs knows only the latter spellings.
      p = this.bcrypt.compare(pass, (hash ?? DUMMY_HASH).replace(/^\$2y\$/, '$2b$')).then((match) => {
        this.verifications++;
        const ok = match && hash !== undefined;
        if (ok) {
          if (good.size >= CACHE_MAX) good.delete(good.keys().next().value as string);
          good.set(key, true);
        } else {
          if (bad.size >= CACHE_MAX) bad.clear();
          bad.add(key);
        }
        return ok;
      });
      p.finally(() => this.inflight.delete(key)).catch(() => undefined);
      this.inflight.set(key, p);
    }
    return p;
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
