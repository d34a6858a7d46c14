// The subscribers of GET /policy/stream: a connection class of their own. Node's maxConnections
// refuses sockets before any HTTP is read, so it cannot keep room for /policy, the operator and the
// webhook; streams get their own cap below it (api.max_streams) and a cap per client address
// (api.max_streams_per_client), refused with 503 and Retry-After — as nginx's limit_conn and
// HAProxy's per-backend maxconn separate long-lived connections from the rest.
//
// Memory per subscriber stays small: one encoding of each event for everybody, and a subscriber
// that does not read is dropped as soon as it is behind — something written to it still unsent a
// second later (the kernel's socket buffer is full), or more than SSE_MAX_BUFFERED_BYTES queued.
import { clientOf } from '../http/auth';
import { sendJson } from '../http/json';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger';
import { procKey, unackedByPeer } from '../http/tcp_queues';

/** An SSE subscriber with more than this unsent (in the process, beyond the kernel's socket buffer) is dropped. */
export const SSE_MAX_BUFFERED_BYTES = 64 * 1024;
/** A subscriber whose previous event is still unsent this long after it was written is dropped. */
export const SSE_STUCK_MS = 1000;
/**
 * A subscriber whose kernel holds more than this that it has not acknowledged is dropped: it has
 * stopped reading (events are ~0.2–2 KB; a reader acknowledges within a round trip). Checked at most
 * once a second, when something is written (Linux; see tcp_queues.ts).
 */
export const SSE_MAX_UNACKED_BYTES = 64 * 1024;
const SCAN_MS = 1000;
/** What a refused subscriber is told to wait (seconds); the bundled clients poll GET /policy meanwhile. */
export const STREAM_RETRY_AFTER_SEC = 10;

/** The stream caps, read on every subscription (a reload changes them in place). */
export interface StreamLimits {
  max_streams: number;
  max_streams_per_client: number;
}

interface Subscriber {
  res: ServerResponse;
  client: string;
  /** Its connection in /proc/net/tcp's spelling (null: unknown address family). */
  peer: string | null;
  /** Since when something written to it has been waiting unsent (ms, the service clock), or null. */
  pendingSince: number | null;
}

/** The open policy streams, their caps, and the one write path to all of them. */
export class PolicyStreams {
  private readonly subs = new Set<Subscriber>();
  private readonly perClient = new Map<string, number>();
  /** Subscribers refused at a cap, and dropped for not reading, since the start. */
  refused = 0;
  dropped = 0;
  /** An SSE subscriber with more than this unsent is dropped (tests lower it). */
  maxBufferedBytes = SSE_MAX_BUFFERED_BYTES;
  private localPort = 0;
  private scannedAt = -Infinity;
  private scanning = false;

  /** Real time, not the service's clock: this is about sockets making progress. */
  constructor(
    private readonly limits: () => StreamLimits,
    private readonly logger: Logger,
  ) {}

  /** Open subscribers now. */
  get size(): number {
    return this.subs.size;
  }

  /**
   * Admits a subscriber (headers and `first` — the current policy — written) or refuses it with 503
   * and Retry-After, naming the cap. Returns whether it was admitted.
   */
  open(req: IncomingMessage, res: ServerResponse, first: Buffer): boolean {
    // Gone while it waited (a credential check is asynchronous): its 'close' has fired already, and a
    // slot taken now would never be given back.
    if (res.destroyed || req.socket.destroyed) return false;
    const client = clientOf(req);
    const lim = this.limits();
    const mine = this.perClient.get(client) ?? 0;
    const why =
      this.subs.size >= lim.max_streams
        ? `too many policy streams (api.max_streams: ${lim.max_streams})`
        : mine >= lim.max_streams_per_client
          ? `too many policy streams from ${client} (api.max_streams_per_client: ${lim.max_streams_per_client})`
          : null;
    if (why) {
      this.refused++;
      sendJson(
        res,
        503,
        { error: `${why}; poll GET /policy, or retry in ${STREAM_RETRY_AFTER_SEC}s` },
        { 'Retry-After': String(STREAM_RETRY_AFTER_SEC), Connection: 'close' },
      );
      return false;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(first);
    const sock = req.socket;
    this.localPort = sock.localPort ?? this.localPort;
    const peer = sock.remoteAddress && sock.remotePort ? procKey(sock.remoteAddress, sock.remotePort) : null;
    const sub: Subscriber = { res, client, peer, pendingSince: res.writableLength > 0 ? performance.now() : null };
    this.subs.add(sub);
    this.perClient.set(client, mine + 1);
    res.on('close', () => this.forget(sub));
    return true;
  }

  /** One encoding for every subscriber; one that is behind is dropped (it reconnects and gets the current policy). */
  write(msg: Buffer): void {
    const now = performance.now();
    for (const sub of this.subs) {
      const unsent = sub.res.writableLength;
      if (unsent === 0) sub.pendingSince = null;
      else if (unsent > this.maxBufferedBytes || (sub.pendingSince !== null && now - sub.pendingSince >= SSE_STUCK_MS)) {
        this.drop(sub, unsent, 'queued in the process');
        continue;
      }
      sub.res.write(msg);
      if (sub.pendingSince === null && sub.res.writableLength > 0) sub.pendingSince = now;
    }
    if (!this.scanning && this.subs.size && now - this.scannedAt >= SCAN_MS) void this.scan(now);
  }

  /** Drops the subscribers whose kernel holds more than SSE_MAX_UNACKED_BYTES they have not acknowledged. */
  private async scan(now: number): Promise<void> {
    this.scanning = true;
    this.scannedAt = now;
    try {
      const unacked = await unackedByPeer(this.localPort);
      if (unacked.size === 0) return;
      for (const sub of this.subs) {
        const n = sub.peer ? (unacked.get(sub.peer) ?? 0) : 0;
        if (n > SSE_MAX_UNACKED_BYTES) this.drop(sub, n, 'unacknowledged by the peer');
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'could not read the kernel socket queues');
    } finally {
      this.scanning = false;
    }
  }

  /** Ends every stream (shutdown). */
  endAll(): void {
    for (const sub of this.subs) sub.res.end();
    this.subs.clear();
    this.perClient.clear();
  }

  private drop(sub: Subscriber, bytes: number, where: string): void {
    this.forget(sub);
    this.dropped++;
    this.logger.warn({ remote: sub.client, bytes, where }, 'SSE subscriber not reading: dropped');
    sub.res.destroy();
  }

  private forget(sub: Subscriber): void {
    if (!this.subs.delete(sub)) return;
    const n = (this.perClient.get(sub.client) ?? 1) - 1;
    if (n > 0) this.perClient.set(sub.client, n);
    else this.perClient.delete(sub.client);
  }
}
