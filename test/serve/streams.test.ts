// The policy streams' bookkeeping on real sockets: a subscriber that went away before it was admitted
// (its credential check is asynchronous) takes no slot, so the caps cannot leak away.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/log/logger';
import { PolicyStreams } from '../../src/serve/streams';

describe('PolicyStreams.open', () => {
  it('a client gone before it is admitted takes no slot; one still there does, and gives it back on close', async () => {
    const streams = new PolicyStreams(() => ({ max_streams: 1, max_streams_per_client: 1 }), silentLogger());
    const admitted: boolean[] = [];
    const srv = createServer((req, res) => {
      const late = req.url === '/late';
      // The late one is admitted only after its client hung up, as after a slow bcrypt check.
      void (late ? once(req.socket, 'close') : Promise.resolve()).then(() =>
        admitted.push(streams.open(req, res, Buffer.from('data: x\n\n'))),
      );
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as AddressInfo).port;
    try {
      const gone = request({ host: '127.0.0.1', port, path: '/late' });
      gone.on('error', () => undefined);
      gone.end();
      await new Promise((r) => setTimeout(r, 50));
      gone.destroy();
      for (let i = 0; i < 200 && admitted.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual([admitted, streams.size], [[false], 0], 'no slot for a client that is gone');
      // The one slot is still free: a live subscriber gets it, and gives it back when it leaves.
      const live = request({ host: '127.0.0.1', port, path: '/now' });
      live.end();
      const [res] = (await once(live, 'response')) as [IncomingMessage];
      assert.equal(res.statusCode, 200);
      assert.equal(streams.size, 1);
      live.destroy();
      for (let i = 0; i < 200 && streams.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(streams.size, 0);
    } finally {
      srv.closeAllConnections();
      srv.close();
    }
  });
});
