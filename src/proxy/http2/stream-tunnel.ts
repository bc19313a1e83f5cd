// The byte tunnel behind a WebSocket over HTTP/2 (RFC 8441): the client's stream and the upstream's
// upgraded socket are piped into each other with backpressure. A clean end on one side ends the other
// (END_STREAM / FIN); a failure or the idle timeout cuts both. The tunnel holds no routing snapshot,
// so a snapshot swap never touches it.
import http2 from 'node:http2';
import type net from 'node:net';
import type { Http2StreamExchange } from './stream-exchange.ts';
import { trackTunnel } from '../tunnel-buffers.ts';

export function joinStreams(ex: Http2StreamExchange, socket: net.Socket, head: Buffer, idleTimeoutMs: number): void {
  const stream = ex.stream;
  trackTunnel(stream, socket);
  const cut = (): void => {
    socket.destroy();
    if (!stream.destroyed) ex.reset(http2.constants.NGHTTP2_CANCEL);
  };
  socket.setTimeout(idleTimeoutMs, cut);
  stream.setTimeout(idleTimeoutMs, cut);
  socket.on('error', cut);
  // The upstream closed without a clean end while the stream was still open: the stream is cut too.
  socket.on('close', () => {
    if (!stream.writableEnded) cut();
  });
  stream.on('close', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => (ex.bytesOut += chunk.length));
  stream.on('data', (chunk: Buffer) => (ex.bytesIn += chunk.length));
  if (head.length > 0) {
    ex.bytesOut += head.length;
    stream.write(head);
  }
  stream.pipe(socket);
  socket.pipe(stream);
  socket.resume();
}
