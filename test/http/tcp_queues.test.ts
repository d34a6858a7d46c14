// The kernel's view of a connection a peer stopped reading (http/tcp_queues.ts): real sockets on
// IPv4 and IPv6 loopback, read back from /proc/net/tcp{,6} under the names Node gives the peer.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { procKey, unackedByPeer } from '../../src/http/tcp_queues';
import { until } from '../helpers/process';

describe('procKey: an address as /proc/net/tcp spells it', () => {
  it('IPv4, IPv6, IPv4-mapped IPv6, and what is not an address', () => {
    const table: [string, number, string | null][] = [
      ['127.0.0.1', 8477, '0100007F:211D'],
      ['10.1.2.3', 1, '0302010A:0001'],
      ['::1', 80, '00000000000000000000000001000000:0050'],
      ['::ffff:127.0.0.1', 443, '0000000000000000FFFF00000100007F:01BB'],
      ['2001:db8::2:1', 65535, 'B80D0120000000000000000001000200:FFFF'],
      ['not-an-address', 80, null],
    ];
    for (const [addr, port, want] of table) assert.equal(procKey(addr, port), want, addr);
  });
});

describe('unackedByPeer: bytes a peer has not acknowledged, from the kernel', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`a peer that stops reading is seen with what it has not acknowledged (${host})`, async (t) => {
      const accepted: Socket[] = [];
      const srv = createServer((s) => accepted.push(s));
      srv.listen(0, host);
      await once(srv, 'listening');
      t.after(() => srv.close());
      const port = (srv.address() as { port: number }).port;
      const client = connect({ port, host });
      await once(client, 'connect');
      client.pause(); // never reads
      t.after(() => client.destroy());
      await until('accepted', async () => accepted.length === 1, 10_000, 10);
      const server = accepted[0];
      t.after(() => server.destroy());
      const key = procKey(server.remoteAddress!, server.remotePort!);
      assert.ok(key);
      assert.equal((await unackedByPeer(port)).get(key) ?? 0, 0, 'nothing sent yet');
      // More than the reader's window: the rest waits in the server's kernel, unacknowledged.
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 200 && server.writableLength === 0; i++) server.write(chunk);
      await until('unacknowledged bytes seen', async () => ((await unackedByPeer(port)).get(key) ?? 0) > 64 * 1024, 10_000, 50);
      client.resume(); // it reads everything: nothing left unacknowledged
      await until('all acknowledged', async () => !(await unackedByPeer(port)).has(key), 10_000, 50);
    });
  }
});
