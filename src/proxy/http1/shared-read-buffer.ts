// Client sockets of the plain HTTP listener read into one buffer shared by all of them, instead of the
// fresh 64 KiB buffer node allocates for every read of a server-side socket. Those allocations are
// external memory: at 16 KiB uploads, about 1 GB/s of it, which V8 answers with young-generation and
// full collections (the pauses behind a high p99), and each read was also trimmed with a copy.
//
// Why node internals: `net.connect({ onread })` gives client sockets a buffer of their own (the upstream
// side uses it), but a server has no such option. net.Server builds each accepted socket in its
// listening handle's `onconnection(err, clientHandle)` with `new Socket({ handle: clientHandle, ... })`,
// and that constructor honours `onread` together with `handle`. So this file replaces the handle's
// `onconnection` (after 'listening'; cluster workers' round-robin handles get it called the same way)
// with one that builds the socket with `onread`, and delegates everything it does not do itself
// (accept errors, maxConnections, blockList) to node's own. If node changes any of this, `install`
// returns false or the socket reads as before: reads then arrive as 'data' events in fresh buffers,
// which every consumer handles (see isSharedRead). test/proxy/shared-read-buffer.test.ts fails loudly
// when the override stops taking effect.
//
// The rule that makes sharing safe: one read is delivered at a time, and when its 'data' handler
// returns, no byte of the shared buffer may still be referenced, because the next read of any socket
// overwrites it. Consumers that keep bytes past the handler (a request body going upstream, bytes
// held for a tunnel or for HTTP/2) copy them first when isSharedRead says so. A socket whose bytes are
// kept by code that does not know about this (a tunnel's pipe) reads into fresh buffers from then on.
import net from 'node:net';
import diagnosticsChannel from 'node:diagnostics_channel';

/** As large as node's own read buffers, so reads are not split more than before. */
const SHARED_BYTES = 64 * 1024;
const SHARED = Buffer.allocUnsafeSlow(SHARED_BYTES);
const SHARED_MEMORY = SHARED.buffer;

/** Set on a socket whose reads must land in fresh buffers (its bytes are kept past the 'data' handler). */
const FRESH_READS = Symbol('tideway.freshReads');
type ReadingSocket = net.Socket & { [FRESH_READS]?: boolean };

/** Whether the socket just read asked for fresh buffers (onread's buffer function gets no socket). */
let nextReadFresh = false;

function nextBuffer(): Buffer {
  if (!nextReadFresh) return SHARED;
  nextReadFresh = false;
  return Buffer.allocUnsafeSlow(SHARED_BYTES);
}

function onSocketRead(this: ReadingSocket, length: number, buffer: Uint8Array): boolean {
  const chunk = (buffer as Buffer).subarray(0, length);
  // A read that was already headed for the shared buffer when the socket switched is handed over as a copy.
  this.emit('data', buffer === SHARED && this[FRESH_READS] === true ? Buffer.from(chunk) : chunk);
  nextReadFresh = this[FRESH_READS] === true;
  return true;
}

const ONREAD = { buffer: nextBuffer, callback: onSocketRead };

/** True when `chunk` lies in the shared buffer: whoever keeps it past the 'data' handler must copy it. */
export function isSharedRead(chunk: Buffer): boolean {
  return chunk.buffer === SHARED_MEMORY;
}

/** From its next read on, the socket reads into buffers of its own (their bytes may be kept by anyone). */
export function readIntoFreshBuffers(socket: net.Socket): void {
  (socket as ReadingSocket)[FRESH_READS] = true;
}

interface ServerInternals {
  _handle?: { onconnection?: unknown } | null;
  _connections: number;
  allowHalfOpen: boolean;
  pauseOnConnect: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  maxConnections?: number | null;
  blockList?: unknown;
}

type OnConnection = (this: unknown, err: number, clientHandle: unknown) => void;

const serverSocketChannel = diagnosticsChannel.channel('net.server.socket');

/**
 * Makes the listening `server`'s future connections read into the shared buffer. Call after
 * 'listening'. Returns false (and changes nothing) when node's server does not look as expected.
 */
export function installSharedReads(server: net.Server): boolean {
  const internals = server as unknown as ServerInternals;
  const handle = internals._handle;
  if (handle === null || handle === undefined || typeof handle.onconnection !== 'function') return false;
  if (typeof internals._connections !== 'number') return false;
  const nodeOnConnection = handle.onconnection as OnConnection;
  handle.onconnection = function onConnection(this: unknown, err: number, clientHandle: unknown): void {
    // Anything but a plain accept stays node's: errors, connection limits, block lists.
    if (err || internals.maxConnections != null || internals.blockList) return nodeOnConnection.call(this, err, clientHandle);
    const socket = new net.Socket({
      handle: clientHandle, allowHalfOpen: internals.allowHalfOpen, pauseOnCreate: internals.pauseOnConnect, readable: true, writable: true,
      readableHighWaterMark: internals.highWaterMark, writableHighWaterMark: internals.highWaterMark, onread: ONREAD,
    } as net.SocketConstructorOpts);
    if (internals.noDelay) socket.setNoDelay(true);
    if (internals.keepAlive) socket.setKeepAlive(true, internals.keepAliveInitialDelay);
    internals._connections++;
    (socket as unknown as { server: net.Server; _server: net.Server }).server = server;
    (socket as unknown as { _server: net.Server })._server = server;
    server.emit('connection', socket);
    if (serverSocketChannel.hasSubscribers) serverSocketChannel.publish({ socket });
  };
  return true;
}
