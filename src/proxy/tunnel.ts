// A byte tunnel between a client and an upstream after a protocol upgrade (WebSocket): each side is
// piped into the other with stream backpressure, an idle timeout cuts both, and either side closing
// closes the other. Tunnels hold no reference to routing snapshots, so table swaps never touch them.
import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { trackTunnel } from './tunnel-buffers.ts';

export interface TunnelOptions {
  idleTimeoutMs: number;
  /** The upgrade was to WebSocket: a graceful close sends close frames (1001 Going Away). */
  websocket: boolean;
}

/** Status 1001 "going away" (RFC 6455 7.4.1), as a close frame's payload. */
const GOING_AWAY = Buffer.from([0x03, 0xe9]);
/** How long a gracefully closed tunnel waits for the peers' own close before cutting them. */
const CLOSE_LINGER_MS = 1000;

export class Tunnel {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  private readonly websocket: boolean;
  private closing = false;

  constructor(client: net.Socket, upstream: net.Socket, clientHead: readonly Buffer[], upstreamHead: Buffer, options: TunnelOptions) {
    this.client = client;
    this.upstream = upstream;
    this.websocket = options.websocket;
    trackTunnel(client, upstream);
    const destroy = (): void => this.destroy();
    for (const socket of [client, upstream]) {
      socket.setTimeout(options.idleTimeoutMs);
      socket.on('timeout', destroy);
      socket.on('error', destroy);
      socket.on('close', destroy);
    }
    if (upstreamHead.length > 0) client.write(upstreamHead);
    for (const chunk of clientHead) upstream.write(chunk);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  }

  /** Calls back once both sockets are closed. */
  onClosed(callback: () => void): void {
    let open = 2;
    const one = (): void => void (--open === 0 && callback());
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) one();
      else socket.once('close', one);
    }
  }

  /**
   * Shutdown or a departed endpoint: WebSockets get a close frame with 1001 on both sides, then the
   * sockets end. A frame the peer is sending at that instant can be cut by ours: byte tunnels do not
   * track frame boundaries, so this is best effort, and the connections are cut after a short linger.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.websocket) {
      this.client.unpipe(this.upstream);
      this.upstream.unpipe(this.client);
      // Server-to-client frames are unmasked; client-to-server frames must be masked (RFC 6455 5.3).
      this.client.end(Buffer.concat([Buffer.from([0x88, GOING_AWAY.length]), GOING_AWAY]));
      const mask = randomBytes(4);
      const payload = Buffer.from(GOING_AWAY.map((byte, i) => byte ^ mask[i % 4]!));
      this.upstream.end(Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]));
    }
    setTimeout(() => this.destroy(), this.websocket ? CLOSE_LINGER_MS : 0).unref();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }
}
