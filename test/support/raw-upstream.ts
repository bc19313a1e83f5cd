// An upstream speaking raw HTTP/1.1, for tests that must control the exact response bytes (malformed
// heads, stray bytes, heads split across writes). Each request head gets `answer` called once.
import net from 'node:net';

export interface RawUpstream {
  port: number;
  /** Connections accepted so far (a new one means the gateway did not reuse the last). */
  connections(): number;
  close(): Promise<void>;
}

/** `answer(path, socket, method)` writes the response for each request head, as is. */
export async function rawUpstream(answer: (path: string, socket: net.Socket, method: string) => void): Promise<RawUpstream> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      let end: number;
      while ((end = data.indexOf('\r\n\r\n')) >= 0) {
        const [method, path] = data.slice(0, end).split(' ');
        data = data.slice(end + 4);
        answer(path!, socket, method!);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
