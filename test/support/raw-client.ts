// A raw TCP client for tests that must control the exact bytes on the wire (malformed requests,
// pipelining, slow senders) and read exactly what the server answered.
import net from 'node:net';

export interface RawExchange {
  /** Everything the server sent until it closed or the wait ended. */
  data: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/** Sends bytes, then collects the answer until the server closes, `until` matches, or timeoutMs passes. */
export function rawRequest(port: number, payload: string | Buffer | (string | Buffer)[], options: { until?: (data: string) => boolean; timeoutMs?: number } = {}): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 3000);
    socket.on('connect', () => {
      for (const part of Array.isArray(payload) ? payload : [payload]) socket.write(part);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (options.until?.(data)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? finish(true) : reject(err)));
  });
}

/** Status code of the first response in raw data, or 0. */
export function statusOf(data: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(data);
  return match ? Number(match[1]) : 0;
}
