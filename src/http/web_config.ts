// exporter-toolkit's web configuration file (`--web.config.file`), as node_exporter and friends read it:
// TLS (server cert, client CA, client auth policy, versions, ciphers, curves), response headers,
// bcrypt basic auth users and a rate limit. Parsing is pure; the gate applies it to every request.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, Section, isPlainObject } from '../schema/reader';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;

/** Go's cipher suite names (tls.CipherSuites) → OpenSSL's. TLS 1.3 suites are not configurable in Go either. */
const CIPHERS: Record<string, string | null> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
};

const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** exporter-toolkit's header allow-list, with the values it accepts where it restricts them. */
const HEADERS: Record<string, RegExp | null> = {
  'Content-Security-Policy': null,
  'X-Frame-Options': /^(deny|sameorigin)$/i,
  'X-Content-Type-Options': /^nosniff$/i,
  'X-XSS-Protection': null,
  'Strict-Transport-Security': null,
};

/** Options for Node's TLS server, derived from tls_server_config. */
export interface TlsSettings {
  cert: string;
  key: string;
  ca?: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  maxVersion: (typeof TLS_VERSIONS)[TlsVersionName];
  ciphers?: string;
  honorCipherOrder: boolean;
  ecdhCurve?: string;
}

export interface WebConfig {
  path: string;
  tls: TlsSettings | null;
  clientAuth: ClientAuthType;
  /** client_allowed_sans: the client certificate must carry one of these (DNS, IP, email or URI). */
  allowedSans: string[];
  headers: [string, string][];
  /** basic_auth_users: user → bcrypt hash. Empty: no basic auth. */
  users: Map<string, string>;
  rateLimit: { intervalMs: number; burst: number } | null;
}

/** A Go duration ("1s", "250ms", "1m30s", "0"). */
export function parseGoDuration(s: string): number | null {
  if (s === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? total : null;
}

/** Reads and validates a web configuration file. Throws ConfigError naming the file and the key. */
export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`web config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    let raw: unknown;
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    return parseWebConfig(raw, dirname(resolve(path)), path);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`web config file ${path}: ${err.message}`);
    throw err;
  }
}

/** Validates a parsed web configuration; relative file names are relative to `baseDir` (the file's directory). */
export function parseWebConfig(raw: unknown, baseDir: string, path = '<inline>'): WebConfig {
  if (!isPlainObject(raw)) throw new ConfigError(`expected a mapping, got ${JSON.stringify(raw)}`);
  const root = Section.of('', raw);
  const tlsPart = parseTls(root.section('tls_server_config'), baseDir);
  const headers = parseHttp(root.section('http_server_config'));
  const users = new Map<string, string>();
  const ba = root.section('basic_auth_users');
  for (const user of Object.keys(ba.raw)) {
    const hash = ba.string(user, '');
    if (!/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) ba.fail(user, 'expected a bcrypt hash ($2y$10$...; see htpasswd -nBC 10)');
    users.set(user, hash);
  }
  ba.done();
  let rateLimit: WebConfig['rateLimit'] = null;
  if (root.has('rate_limit')) {
    const rl = root.section('rate_limit');
    const interval = rl.string('interval', '0');
    const intervalMs = parseGoDuration(interval) ?? rl.fail('interval', `expected a duration like 1s or 250ms, got "${interval}"`);
    const burst = rl.number('burst', 0, { min: 0, int: true });
    rl.done();
    if (intervalMs > 0) {
      if (burst < 1) throw new ConfigError('rate_limit.burst: must be at least 1 when interval is set');
      rateLimit = { intervalMs, burst };
    }
  }
  root.done();
  return { path, ...tlsPart, headers, users, rateLimit };
}

function readPem(s: Section, inline: string, file: string, baseDir: string): string | null {
  const text = s.optString(inline);
  const name = s.optString(file);
  if (text !== null && name !== null) s.fail(file, `give either ${inline} or ${file}, not both`);
  if (text !== null) return text;
  if (name === null) return null;
  try {
    return readFileSync(resolve(baseDir, name), 'utf8');
  } catch (err) {
    return s.fail(file, `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parseTls(s: Section, baseDir: string): Pick<WebConfig, 'tls' | 'clientAuth' | 'allowedSans'> {
  const cert = readPem(s, 'cert', 'cert_file', baseDir);
  const key = readPem(s, 'key', 'key_file', baseDir);
  const ca = readPem(s, 'client_ca', 'client_ca_file', baseDir);
  const clientAuth = s.oneOf('client_auth_type', CLIENT_AUTH_TYPES, 'NoClientCert');
  const allowedSans = s.stringList('client_allowed_sans', []);
  const versions = Object.keys(TLS_VERSIONS) as TlsVersionName[];
  const min = s.oneOf('min_version', versions, 'TLS12');
  const max = s.oneOf('max_version', versions, 'TLS13');
  const suites = s.stringList('cipher_suites', []);
  const prefer = s.bool('prefer_server_cipher_suites', true);
  const curves = s.stringList('curve_preferences', []);
  s.done();
  const configured = Object.keys(s.raw).length > 0;
  if (!configured) return { tls: null, clientAuth: 'NoClientCert', allowedSans: [] };
  if (cert === null) s.fail('cert_file', 'required (or cert)');
  if (key === null) s.fail('key_file', 'required (or key)');
  if (versions.indexOf(min) > versions.indexOf(max)) s.fail('min_version', `${min} is above max_version ${max}`);
  if (ca !== null && clientAuth === 'NoClientCert') s.fail('client_ca_file', 'a client CA is configured without a client_auth_type');
  // Verifying without client_ca_file uses the default roots (Node's bundle), as Go uses the system's.
  if (allowedSans.length && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    s.fail('client_allowed_sans', 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert');
  }
  const ciphers = suites.map((c, i) => {
    if (!(c in CIPHERS)) throw new ConfigError(`${s.key('cipher_suites')}[${i}]: unknown or insecure cipher suite "${c}"`);
    return CIPHERS[c];
  });
  const ecdh = curves.map((c, i) => {
    if (!(c in CURVES))
      throw new ConfigError(`${s.key('curve_preferences')}[${i}]: expected one of ${Object.keys(CURVES).join(', ')}, got "${c}"`);
    return CURVES[c];
  });
  const openssl = ciphers.filter((c): c is string => c !== null);
  return {
    clientAuth,
    allowedSans,
    tls: {
      cert,
      key,
      ...(ca !== null ? { ca } : {}),
      requestCert: clientAuth !== 'NoClientCert',
      rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert',
      minVersion: TLS_VERSIONS[min],
      maxVersion: TLS_VERSIONS[max],
      ...(openssl.length ? { ciphers: openssl.join(':') } : {}),
      honorCipherOrder: prefer,
      ...(ecdh.length ? { ecdhCurve: ecdh.join(':') } : {}),
    },
  };
}

function parseHttp(s: Section): [string, string][] {
  s.bool('http2', true); // accepted for compatibility; we serve HTTP/1.1 (see docs/deployment.md)
  const out: [string, string][] = [];
  if (s.has('headers')) {
    const h = s.section('headers');
    for (const name of Object.keys(h.raw)) {
      if (!(name in HEADERS)) h.fail(name, `not a supported header (one of ${Object.keys(HEADERS).join(', ')})`);
      const v = h.raw_(name);
      if (v === '' || v === null || v === undefined) continue; // "unset if blank"
      if (typeof v !== 'string') return h.fail(name, `expected a string, got ${JSON.stringify(v)}`);
      const allowed = HEADERS[name];
      if (allowed && !allowed.test(v)) h.fail(name, `invalid value "${v}"`);
      out.push([name, v]);
    }
    h.done();
  }
  s.done();
  return out;
}
