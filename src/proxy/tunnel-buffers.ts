// The bytes open tunnels hold in the gateway's memory, per direction: what was read from one side and
// not yet handed to the kernel for the other. Each tunnel bounds it (see tunnel.ts); this is how tests
// and operators see that the bound holds.
import type { Duplex } from 'node:stream';

interface TunnelEnds {
  readonly client: Duplex;
  readonly upstream: Duplex;
}

const OPEN = new Set<TunnelEnds>();

/** Counts a tunnel until both of its ends have closed. */
export function trackTunnel(client: Duplex, upstream: Duplex): void {
  const ends: TunnelEnds = { client, upstream };
  OPEN.add(ends);
  let open = 2;
  const closed = (): void => void (--open === 0 && OPEN.delete(ends));
  for (const end of [client, upstream]) {
    if (end.destroyed) closed();
    else end.once('close', closed);
  }
}

export interface TunnelBuffered {
  /** Client to upstream: read from the client, not yet written to the upstream's socket. */
  toUpstream: number;
  /** Upstream to client. */
  toClient: number;
}

/** The largest amount any one open tunnel holds, per direction. */
export function largestTunnelBuffers(): TunnelBuffered {
  let toUpstream = 0;
  let toClient = 0;
  for (const { client, upstream } of OPEN) {
    toUpstream = Math.max(toUpstream, client.readableLength + upstream.writableLength);
    toClient = Math.max(toClient, upstream.readableLength + client.writableLength);
  }
  return { toUpstream, toClient };
}
