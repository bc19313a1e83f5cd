// WebSocket load for bench/websocket.ts: `connections` clients, each sending one message and waiting for
// its echo before sending the next (a closed loop, as wrk's connections are). Prints one JSON line:
// messages, messages per second, p50 and p99 round trip in ms, errors.
// Usage: node bench/ws-load.ts <ws-url> <connections> <seconds> <message-bytes>
import WebSocket from 'ws';

export interface WsLoadResult {
  messages: number;
  messagesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Round-trip times in 10 µs buckets up to 1 s: percentiles without keeping every sample. */
const BUCKET_US = 10;
const BUCKETS = 100_000;

export function percentile(histogram: Uint32Array, total: number, fraction: number): number {
  const wanted = Math.ceil(total * fraction);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i]!;
    if (seen >= wanted) return ((i + 1) * BUCKET_US) / 1000;
  }
  return (histogram.length * BUCKET_US) / 1000;
}

async function main(): Promise<void> {
  const [url, connections, seconds, bytes] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
  const payload = Buffer.alloc(bytes, 'w');
  const histogram = new Uint32Array(BUCKETS);
  let messages = 0;
  let errors = 0;
  let measuring = true;
  const sockets: WebSocket[] = [];
  await Promise.all(Array.from({ length: connections }, () => new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(socket);
    socket.once('open', () => resolve());
    socket.once('error', reject);
  })));
  const started = performance.now();
  for (const socket of sockets) {
    let sentAt = 0;
    const send = (): void => {
      sentAt = performance.now();
      socket.send(payload, { binary: true });
    };
    socket.on('message', () => {
      const us = (performance.now() - sentAt) * 1000;
      histogram[Math.min(BUCKETS - 1, Math.floor(us / BUCKET_US))]!++;
      messages++;
      if (measuring) send();
    });
    socket.on('error', () => errors++);
    send();
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.terminate();
  const result: WsLoadResult = { messages, messagesPerSec: messages / elapsed, p50Ms: percentile(histogram, messages, 0.5), p99Ms: percentile(histogram, messages, 0.99), errors };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
