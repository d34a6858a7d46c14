// A minimal D-Bus client: SASL EXTERNAL over a Unix socket and method calls with their replies —
// all that the systemd handler needs (LoadUnit, RestartUnit/StopUnit, Properties.Get). The wire
// format is the D-Bus specification's; values are decoded by signature (basic types, arrays,
// structs, dict entries, variants).
import { connect, type Socket } from 'node:net';

/** A decoded D-Bus value: numbers (64-bit ones as bigint), strings, booleans, arrays (structs too). */
export type DBusValue = number | bigint | boolean | string | DBusValue[];

/** An error reply: its D-Bus name (org.freedesktop.DBus.Error.AccessDenied, …) and message. */
export class DBusError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** The socket path of the first unix transport in a bus address (`unix:path=…` or `unix:abstract=…`). */
export function socketOf(address: string): string | null {
  for (const a of address.split(';')) {
    if (!a.startsWith('unix:')) continue;
    const kv = new Map(
      a
        .slice(5)
        .split(',')
        .map((p) => p.split('=', 2) as [string, string]),
    );
    const path = kv.get('path');
    if (path) return decodeURIComponent(path);
    const abs = kv.get('abstract');
    if (abs) return '\0' + decodeURIComponent(abs);
  }
  return null;
}

const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  '(': 8,
  '{': 8,
  v: 1,
  h: 4,
};

/** One complete type of a signature starting at `i`; returns its end. */
function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new Error(`bad D-Bus signature ${sig}`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (!(c in ALIGN)) throw new Error(`bad D-Bus signature ${sig}`);
  return i + 1;
}

/** A signature split into its complete types. */
function types(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length;) {
    const j = typeEnd(sig, i);
    out.push(sig.slice(i, j));
    i = j;
  }
  return out;
}

class Writer {
  private buf = Buffer.alloc(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.align(4);
    this.room(4);
    this.buf.writeUInt32LE(v, this.len);
    this.len += 4;
  }
  u32At(pos: number, v: number): void {
    this.buf.writeUInt32LE(v, pos);
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.raw(b);
    this.byte(0);
  }
  signature(s: string): void {
    this.byte(Buffer.byteLength(s));
    this.raw(Buffer.from(s, 'ascii'));
    this.byte(0);
  }
  raw(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  /** A basic value of type `t` (what method arguments and header fields need). */
  value(t: string, v: string | number): void {
    if (t === 's' || t === 'o') this.string(String(v));
    else if (t === 'g') this.signature(String(v));
    else if (t === 'u') this.u32(Number(v));
    else if (t === 'y') this.byte(Number(v));
    else throw new Error(`cannot marshal D-Bus type ${t}`);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly le: boolean,
  ) {}
  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }
  u32(): number {
    this.align(4);
    const v = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  read(t: string): DBusValue {
    const c = t[0];
    this.align(ALIGN[c] ?? 1);
    const b = this.buf;
    const at = this.pos;
    switch (c) {
      case 'y':
        this.pos += 1;
        return b[at];
      case 'b':
        return this.u32() !== 0;
      case 'n':
      case 'q':
        this.pos += 2;
        return c === 'n' ? (this.le ? b.readInt16LE(at) : b.readInt16BE(at)) : this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
      case 'i':
        this.pos += 4;
        return this.le ? b.readInt32LE(at) : b.readInt32BE(at);
      case 'u':
      case 'h':
        return this.u32();
      case 'x':
      case 't':
        this.pos += 8;
        if (c === 'x') return this.le ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
        return this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
      case 'd':
        this.pos += 8;
        return this.le ? b.readDoubleLE(at) : b.readDoubleBE(at);
      case 's':
      case 'o': {
        const n = this.u32();
        const s = b.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'g': {
        const n = b[this.pos];
        const s = b.toString('ascii', this.pos + 1, this.pos + 1 + n);
        this.pos += n + 2;
        return s;
      }
      case 'v': {
        const sig = this.read('g') as string;
        return this.read(sig);
      }
      case 'a': {
        const n = this.u32();
        const elem = t.slice(1);
        this.align(ALIGN[elem[0]]);
        const end = this.pos + n;
        const out: DBusValue[] = [];
        while (this.pos < end) out.push(this.read(elem));
        return out;
      }
      case '(':
      case '{':
        return types(t.slice(1, -1)).map((f) => this.read(f));
      default:
        throw new Error(`cannot read D-Bus type ${t}`);
    }
  }
}

const enum Type {
  Call = 1,
  Return = 2,
  Error = 3,
}

interface Message {
  type: number;
  replySerial: number | null;
  errorName: string | null;
  body: DBusValue[];
}

/** Splits whole messages off the front of `buf`; returns them and the rest. */
function parseMessages(buf: Buffer): { messages: Message[]; rest: Buffer } {
  const messages: Message[] = [];
  let off = 0;
  while (buf.length - off >= 16) {
    const le = buf[off] === 0x6c; // 'l'
    const bodyLen = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    const fieldsLen = le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    const headerLen = 16 + fieldsLen + ((8 - ((16 + fieldsLen) % 8)) % 8);
    if (buf.length - off < headerLen + bodyLen) break;
    const msg = buf.subarray(off, off + headerLen + bodyLen);
    const fields = new Reader(msg, 12, le).read('a(yv)') as DBusValue[][];
    const field = (code: number) => fields.find((f) => f[0] === code)?.[1];
    const sig = (field(8) as string | undefined) ?? '';
    const body = new Reader(msg, headerLen, le);
    messages.push({
      type: msg[1],
      replySerial: (field(5) as number | undefined) ?? null,
      errorName: (field(4) as string | undefined) ?? null,
      body: types(sig).map((t) => body.read(t)),
    });
    off += headerLen + bodyLen;
  }
  return { messages, rest: buf.subarray(off) };
}

/** A method call's header and body, marshalled. */
function marshalCall(
  serial: number,
  dest: string,
  path: string,
  iface: string,
  member: string,
  sig: string,
  args: (string | number)[],
): Buffer {
  const body = new Writer();
  const ts = types(sig);
  ts.forEach((t, i) => body.value(t, args[i]));
  const h = new Writer();
  for (const v of [0x6c, Type.Call, 0, 1]) h.byte(v);
  h.u32(body.len);
  h.u32(serial);
  const lenAt = h.len;
  h.u32(0);
  h.align(8);
  const start = h.len;
  const fields: [number, string, string | number][] = [
    [1, 'o', path],
    [2, 's', iface],
    [3, 's', member],
    [6, 's', dest],
  ];
  if (sig) fields.push([8, 'g', sig]);
  for (const [code, t, v] of fields) {
    h.align(8);
    h.byte(code);
    h.signature(t);
    h.value(t, v);
  }
  h.u32At(lenAt, h.len - start);
  h.align(8);
  return Buffer.concat([h.bytes(), body.bytes()]);
}

/** One connection to a bus, authenticated as this process's uid (SASL EXTERNAL). */
export class DBusConnection {
  private serial = 1;
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, { resolve: (v: DBusValue[]) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failure = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('the bus closed the connection')));
  }

  /** Connects, authenticates and says Hello; rejects with the socket's errno error or an auth failure. */
  static async open(address: string, timeoutMs: number): Promise<DBusConnection> {
    const path = socketOf(address);
    if (!path) throw new Error(`no unix transport in bus address ${address}`);
    const sock = connect(path);
    const timer = setTimeout(() => sock.destroy(new Error(`no answer from the bus in ${Math.round(timeoutMs / 1000)}s`)), timeoutMs);
    try {
      await authenticate(sock);
    } catch (err) {
      sock.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const conn = new DBusConnection(sock);
    try {
      await conn.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'Hello', '', [], timeoutMs);
    } catch (err) {
      conn.close(); // the caller never gets it to close
      throw err;
    }
    return conn;
  }

  /** Calls a method; resolves with the reply's values, rejects with DBusError for an error reply. */
  call(
    dest: string,
    path: string,
    iface: string,
    member: string,
    sig: string,
    args: (string | number)[],
    timeoutMs: number,
  ): Promise<DBusValue[]> {
    if (this.failure) return Promise.reject(this.failure);
    const serial = this.serial++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(serial);
        reject(new Error(`${member}: no reply from the bus in ${Math.round(timeoutMs / 1000)}s`));
      }, timeoutMs);
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          f(v);
        };
      this.waiting.set(serial, { resolve: done(resolve), reject: done(reject) });
      this.sock.write(marshalCall(serial, dest, path, iface, member, sig, args));
    });
  }

  close(): void {
    this.sock.destroy();
  }

  private onData(chunk: Buffer): void {
    let parsed: { messages: Message[]; rest: Buffer };
    try {
      parsed = parseMessages(Buffer.concat([this.buf, chunk]));
    } catch (err) {
      this.sock.destroy(err as Error);
      return;
    }
    this.buf = parsed.rest;
    for (const m of parsed.messages) {
      if (m.replySerial === null || (m.type !== Type.Return && m.type !== Type.Error)) continue; // signals, calls to us
      const w = this.waiting.get(m.replySerial);
      if (!w) continue;
      this.waiting.delete(m.replySerial);
      if (m.type === Type.Return) w.resolve(m.body);
      else w.reject(new DBusError(m.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof m.body[0] === 'string' ? m.body[0] : ''));
    }
  }
}

/** SASL EXTERNAL with our uid, then BEGIN: the bus knows us by the socket's peer credentials. */
function authenticate(sock: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      cleanup();
      const line = text.slice(0, end);
      if (!line.startsWith('OK ')) return reject(new Error(`the bus refused authentication as uid ${uid}: ${line}`));
      sock.write('BEGIN\r\n');
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the bus closed the connection during authentication'));
    };
    const cleanup = () => {
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
    };
    const uid = process.getuid?.() ?? 0;
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.write('\0AUTH EXTERNAL ' + Buffer.from(String(uid), 'ascii').toString('hex') + '\r\n');
  });
}
