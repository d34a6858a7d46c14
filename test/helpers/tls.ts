// HTTPS requests with our own CA and client certificates (fetch cannot take them).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { ROOT } from './stack';

export const TLS_DIR = join(ROOT, 'test/fixtures/tls');
export const pem = (name: string) => readFileSync(join(TLS_DIR, name), 'utf8');

export interface TlsGet {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** The server certificate's SHA-256 fingerprint. */
  fingerprint: string;
}

export interface TlsOpts {
  method?: string;
  client?: 'client' | 'client2' | 'rogue';
  auth?: string;
  headers?: Record<string, string>;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Resolves with the response, or rejects with the connection error (a refused handshake). */
export function tlsGet(url: string, opts: TlsOpts = {}): Promise<TlsGet> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: pem('ca.crt'),
        ...(opts.client ? { cert: pem(`${opts.client}.crt`), key: pem(`${opts.client}.key`) } : {}),
        ...(opts.auth ? { auth: opts.auth } : {}),
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
            fingerprint: peer?.fingerprint256 ?? '',
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
