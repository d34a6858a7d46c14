// `node dist/bench/front_door.js`: what the front door's check costs per request on the hot path
// (GET /policy from loopback), with no token (the Host is checked) and with one. In-process, so the
// figure does not drown in the machine's load the way a wrk run does.
import type { IncomingMessage } from 'node:http';
import { FrontDoor } from '../src/http/front_door';

const req = {
  method: 'GET',
  url: '/policy',
  rawHeaders: ['Host', '127.0.0.1:8477', 'User-Agent', 'bot/1.0', 'Accept', '*/*'],
  socket: { remoteAddress: '127.0.0.1' },
} as unknown as IncomingMessage;

for (const token of [null, 'op']) {
  const door = new FrontDoor({ instance: null, api: { token, allowed_hosts: [] }, receiver: { bearer_token: null, basic_auth: null } });
  for (let i = 0; i < 1e6; i++) door.check(req); // warm-up
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 5e6; i++) door.check(req);
    runs.push(Number(process.hrtime.bigint() - t) / 5e6);
  }
  runs.sort((a, b) => a - b);
  const what = token === null ? 'no token (Host checked)' : 'token set';
  console.log(`| ${what} | ${runs[2].toFixed(1)} | ${runs.map((x) => x.toFixed(1)).join(', ')} |`);
}
