// A byte tunnel between a client and an upstream after a protocol upgrade (WebSocket): each side is
// piped into the other with stream backpressure, an idle timeout cuts both, and either side closing
// closes the other. Tunnels hold no reference to routing snapshots, so table swaps never touch them.
import type net from 'node:net';

export interface TunnelOptions {
  idleTimeoutMs: number;
}

export function startTunnel(client: net.Socket, upstream: net.Socket, clientHead: readonly Buffer[], upstreamHead: Buffer, options: TunnelOptions): void {
  const closeBoth = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('timeout', closeBoth);
    socket.on('error', closeBoth);
    socket.on('close', closeBoth);
  }
  if (upstreamHead.length > 0) client.write(upstreamHead);
  for (const chunk of clientHead) upstream.write(chunk);
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
  upstream.resume();
}
