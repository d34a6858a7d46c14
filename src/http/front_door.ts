// The front door: every request is checked here ahead of all routing (Jupyter's Host check,
// webpack-dev-server's allowedHosts, Go 1.25's CrossOriginProtection), so no route can be added
// without it. docs/front-door.md says what is refused and why.
//
// - DNS rebinding: with no operator token, a loopback caller is trusted without a credential (and so
//   is a webhook caller when `receiver:` has none). A web page can rebind its own name to 127.0.0.1 and
//   its requests then arrive from loopback, same-origin as far as the browser knows — but addressed to
//   that name. So wherever loopback is the credential, a loopback request must be addressed to
//   localhost, an IP address (a literal cannot be rebound), the `instance` name or a name in
//   `api.allowed_hosts`.
// - Cross-site requests: a state-changing request a browser marks cross-site or same-site, or whose
//   Origin is not its Host, is refused whatever the credentials (a browser attaches basic auth itself).
// - A body must be JSON; a request without one needs no content type (`curl -X POST .../-/reload`).
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { isLoopback } from './auth';
import { isJson } from './json';

/** What the front door reads of the running configuration, on every request (a reload changes it in place). */
export interface FrontDoorConfig {
  instance: string | null;
  api: { token: string | null; allowed_hosts: string[] };
  receiver: { bearer_token: string | null; basic_auth: object | null };
}

/** The one route with credentials of its own (`receiver:`); it trusts loopback when they are unset. */
const WEBHOOK = '/alertmanager/webhook';

/** A refused request: the status and the error the answer carries. */
export interface Refusal {
  status: number;
  error: string;
  /** Which check refused it (for the log). */
  check: 'host' | 'origin' | 'content-type';
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Distinct Host values remembered at most; the cache starts over beyond it (a flood of names costs no memory). */
const CACHE_MAX = 256;

/**
 * The name a Host header (or an `instance` label) addresses, lower-case, without port or trailing dot;
 * an IPv6 literal without its brackets.
 */
function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The Host header from the raw header list: no headers object is built for the hot paths. */
function rawHost(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === 4 && k.toLowerCase() === 'host') return raw[i + 1];
  }
  return undefined;
}

/** Whether a request carries a body (HTTP/1.1: a Transfer-Encoding, or a Content-Length above 0). */
function hasBody(req: Pick<IncomingMessage, 'headers'>): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const len = h['content-length'];
  return len !== undefined && len !== '0';
}

/** The origin check of a state-changing request, or null when it may proceed. */
function crossOrigin(headers: IncomingMessage['headers']): string | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = headers.origin;
  if (origin === undefined) return null; // not a browser (curl, the clients, Alertmanager)
  const host = (headers.host ?? '').toLowerCase();
  let from: URL | null = null;
  try {
    from = new URL(origin);
  } catch {
    /* "null" (a sandboxed or file: page) and garbage are never this origin */
  }
  if (from && (from.host === host || from.host === stripDefaultPort(host, from.protocol))) return null;
  return `cross-origin request refused: Origin ${JSON.stringify(origin)} does not match Host ${JSON.stringify(headers.host ?? '')}`;
}

function stripDefaultPort(host: string, protocol: string): string {
  const port = protocol === 'https:' ? ':443' : ':80';
  return host.endsWith(port) ? host.slice(0, -port.length) : host;
}

/** Checks every request before routing; `check` is cheap on the hot paths (a GET with a known Host). */
export class FrontDoor {
  private allowed = new Map<string, boolean>();
  private seenList: readonly string[] | null = null;
  private seenInstance: string | null = null;

  constructor(private readonly config: FrontDoorConfig) {}

  /** Null when the request may go on to routing; else why it is refused. */
  check(req: IncomingMessage): Refusal | null {
    const open = this.loopbackIsCredential(req);
    if (open) {
      const host = rawHost(req);
      if (host !== undefined && !this.hostAllowed(host) && isLoopback(req.socket.remoteAddress)) {
        return {
          status: 403,
          check: 'host',
          error:
            `Host ${JSON.stringify(host)} refused: with no ${open}, selfheal answers loopback requests only when they are ` +
            'addressed to localhost, an IP address, the instance name or a name in api.allowed_hosts (DNS rebinding protection)',
        };
      }
    }
    if (SAFE.has(req.method ?? 'GET')) return null;
    const cross = crossOrigin(req.headers);
    if (cross) return { status: 403, check: 'origin', error: cross };
    if (hasBody(req) && !isJson(req.headers['content-type'])) {
      return { status: 415, check: 'content-type', error: 'Content-Type: expected application/json' };
    }
    return null;
  }

  /** The credential whose absence makes loopback the credential for this request, or null when one is set. */
  private loopbackIsCredential(req: IncomingMessage): string | null {
    if (this.config.api.token === null) return 'api.token';
    const { bearer_token, basic_auth } = this.config.receiver;
    if (bearer_token !== null || basic_auth !== null) return null;
    const url = req.url ?? '';
    return url.startsWith(WEBHOOK) && (url.length === WEBHOOK.length || '?/'.includes(url[WEBHOOK.length])) ? 'receiver credential' : null;
  }

  /** Whether a Host header names this service in loopback-only mode (cached per distinct header). */
  private hostAllowed(host: string): boolean {
    const { api, instance } = this.config;
    if (api.allowed_hosts !== this.seenList || instance !== this.seenInstance) {
      // A reload replaced the list or the instance: what was decided under the old ones goes.
      this.allowed = new Map();
      this.seenList = api.allowed_hosts;
      this.seenInstance = instance;
    }
    const known = this.allowed.get(host);
    if (known !== undefined) return known;
    const name = hostName(host);
    const ok =
      name === 'localhost' || isIP(name) !== 0 || (instance !== null && hostName(instance) === name) || api.allowed_hosts.includes(name);
    if (this.allowed.size >= CACHE_MAX) this.allowed.clear();
    this.allowed.set(host, ok);
    return ok;
  }
}
