// The HTTP(S) listener of `selfheal serve`: the front door ahead of everything (the web config's rate
// limit and basic auth included, so a refused request costs them nothing), then the web gate, then
// the service's handler; TLS and client-certificate policies from the web config.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Config } from '../config/types';
import { FrontDoor, type Refusal } from '../http/front_door';
import { JSON_TYPE, sendBytes } from '../http/send';
import type { WebGate } from '../http/web_gate';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the listener serves and how. */
export interface ListenOptions {
  host: string;
  port: number;
  config: Config;
  web: WebGate | null;
  handler: Handler;
  /** A request the front door refused (logged by the caller, once per distinct reason). */
  refused(req: IncomingMessage, no: Refusal): void;
}

/** Listens; resolves once bound (rejects with the listen error: port taken, unknown host). */
export async function listen(o: ListenOptions): Promise<Server | TlsServer> {
  const inner = o.web ? o.web.wrap(o.handler) : o.handler;
  const door = new FrontDoor(o.config);
  const gated = (req: IncomingMessage, res: ServerResponse) => {
    const no = door.check(req);
    if (no === null) return inner(req, res);
    o.refused(req, no);
    // Refused unread: the connection closes after the answer.
    sendBytes(res, no.status, JSON_TYPE, Buffer.from(JSON.stringify({ error: no.error })), ['Connection', 'close']);
  };
  const timeout = o.config.receiver.body_timeout_sec * 1000;
  const tls = o.web?.config.tls;
  const opts = { noDelay: true, requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout) };
  const server = tls ? createTlsServer({ ...tls, ...opts }, gated) : createServer(opts, gated);
  const web = o.web;
  if (tls && web) server.on('secureConnection', (socket: TLSSocket) => web.checkPeer(socket));
  server.maxConnections = o.config.api.max_connections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
