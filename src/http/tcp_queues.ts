// How many bytes each of our TCP connections has sent that its peer has not acknowledged, from the
// kernel (Linux: /proc/net/tcp and tcp6, the tx_queue column = write_seq - snd_una). Node cannot cap
// a socket's send buffer (no SO_SNDBUF for TCP), and Linux grows it up to net.ipv4.tcp_wmem's
// maximum (4 MiB) while a peer that does not read keeps its window shut: what Node still holds
// (writableLength) is only the part beyond that. This is how a stream subscriber that stopped
// reading is seen long before then. Elsewhere (no /proc) the map is empty.
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';

/** /proc/net/tcp's spelling of an address and port: each 32-bit word in host (little-endian) order, in hex. */
export function procKey(address: string, port: number): string | null {
  const p = port.toString(16).toUpperCase().padStart(4, '0');
  if (isIPv4(address)) return `${word(address.split('.').map(Number))}:${p}`;
  if (!isIPv6(address)) return null;
  const bytes = ipv6Bytes(address);
  if (!bytes) return null;
  let hex = '';
  for (let i = 0; i < 16; i += 4) hex += word(bytes.slice(i, i + 4));
  return `${hex}:${p}`;
}

/** Four bytes in network order → the kernel's %08X of the word read in little-endian order. */
function word(b: number[]): string {
  return [b[3], b[2], b[1], b[0]].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function ipv6Bytes(address: string): number[] | null {
  let a = address.split('%')[0];
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    tail.push(...v4[1].split('.').map(Number));
    a = a.slice(0, -v4[1].length) + '0:0';
  }
  const [head, rest] = a.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const h = groups(head);
  const r = groups(rest);
  const zeros = rest === undefined ? 0 : 8 - h.length - r.length;
  const all = [...h, ...Array<string>(zeros).fill('0'), ...r];
  if (all.length !== 8) return null;
  const out = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length) out.splice(12, 4, ...tail);
  return out;
}

/**
 * The unacknowledged bytes of established connections to `localPort`, keyed by the peer's
 * procKey, only those above zero. One read of each file; parsing skips every other line cheaply.
 */
export async function unackedByPeer(localPort: number, files = ['/proc/net/tcp', '/proc/net/tcp6']): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const local = `:${localPort.toString(16).toUpperCase().padStart(4, '0')} `;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch {
      continue; // not Linux, or no IPv6
    }
    parseInto(text, local, out);
  }
  return out;
}

/** Lines: `sl local rem st tx_queue:rx_queue ...`; established is st 01. */
export function parseInto(text: string, local: string, out: Map<string, number>): void {
  for (let at = text.indexOf('\n') + 1; at > 0 && at < text.length;) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length : end + 1;
    if (!line.includes(local)) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[3] !== '01' || !f[1].endsWith(local.trimEnd())) continue;
    const tx = parseInt(f[4].slice(0, f[4].indexOf(':')), 16);
    if (tx > 0) out.set(f[2], tx);
  }
}
