// What an HTTP/1.1 client connection holds only while a message is on its way: the llhttp parser
// (about 2 KB of native memory, more than the rest of an idle connection), the exchanges in flight and
// the parsing state. An idle keep-alive connection holds none of it: the state is taken from a pool on
// the first byte of a request and given back, reset, when the connection goes idle again, so 10,000
// idle connections cost 10,000 sockets and little more.
import type net from 'node:net';
import { createParser, resetParser, type LlhttpParser, type ParserCallbacks, type PendingFields } from '../../http1/index.ts';
import type { Http1Exchange } from './exchange.ts';

export type ParserOf<C> = LlhttpParser & { conn: C };

/** The smallest copy buffer made for body bytes; it grows to the largest read (64 KiB). */
const MIN_BODY_COPY = 16 * 1024;

export class InFlight<C> {
  /** Created once with the state and reused with it (reinitialized for each new owner). */
  readonly parser: ParserOf<C>;
  /** Header pieces llhttp delivers before the head completes (many fields, trailers), made on first use. */
  pendingFields: PendingFields | null = null;
  pendingUrl = '';
  /** llhttp began a message that has not completed (its head or its body is still arriving). */
  midMessage = false;
  /** The exchange being answered. */
  active: Http1Exchange | null = null;
  /** The exchange whose request is being read (the active one, or a pipelined one behind it). */
  parsing: Http1Exchange | null = null;
  /** Pipelined exchanges waiting for the active one to finish. */
  queue: Http1Exchange[] | null = null;
  pauseCount = 0;
  /** No more bytes are read: the connection is ending (parse error, timeout, last exchange done). */
  closing = false;
  /** Draining: the exchange in flight (its body included) is still read and answered, then the connection ends. */
  endAfterExchange = false;
  /** Inside the socket's data handler (parsing one read). */
  reading = false;
  /** An upstream socket corked until the current read is parsed. */
  corked: net.Socket | null = null;
  /** Set once an upgrade request was parsed: later bytes belong to the tunnel, not to HTTP. */
  tunnelHead: Buffer[] | null = null;
  /** Body bytes of the current Content-Length request still to come, read past llhttp (HEAD_ONLY). */
  bodyLeft = 0;
  /**
   * Where body bytes read into the shared read buffer (shared-read-buffer.ts) are copied, so that the
   * next read may overwrite that buffer. Reused once the exchange holding the last copy no longer
   * references it (the usual case: its upstream socket took the bytes at once); otherwise a new one.
   */
  private bodyCopy: Buffer | null = null;
  private bodyCopyHolder: Http1Exchange | null = null;

  constructor(parser: ParserOf<C>) {
    this.parser = parser;
  }

  /** Back to the state of a connection that has not sent a byte (the parser is reset on its next use). */
  clear(): void {
    this.pendingFields?.take();
    this.pendingUrl = '';
    this.midMessage = false;
    this.active = null;
    this.parsing = null;
    if (this.queue !== null) this.queue.length = 0;
    this.pauseCount = 0;
    this.closing = false;
    this.endAfterExchange = false;
    this.reading = false;
    this.corked = null;
    this.tunnelHead = null;
    this.bodyLeft = 0;
    if (this.bodyCopyHolder !== null && !this.bodyCopyHolder.requestBodyReleased()) this.bodyCopy = null;
    this.bodyCopyHolder = null;
  }

  /** A copy of `chunk`, a slice of the shared read buffer, that `holder` may keep as long as it needs. */
  copyBody(chunk: Buffer, holder: Http1Exchange): Buffer {
    let copy = this.bodyCopy;
    const last = this.bodyCopyHolder;
    if (copy === null || copy.length < chunk.length || (last !== null && !last.requestBodyReleased())) {
      copy = this.bodyCopy = Buffer.allocUnsafeSlow(Math.max(chunk.length, MIN_BODY_COPY));
    }
    this.bodyCopyHolder = holder;
    copy.set(chunk);
    return copy.subarray(0, chunk.length);
  }
}

/** In-flight states of connections that went idle, for the next connection that sends a request. At most `keep` wait here. */
export class InFlightPool<C> {
  private readonly idle: InFlight<C | null>[] = [];
  private readonly type: number;
  private readonly callbacks: ParserCallbacks<ParserOf<C>>;
  private readonly keep: number;
  /** States handed out and not given back: connections in the middle of a message (or of a tunnel's start). */
  inUse = 0;

  constructor(type: number, callbacks: ParserCallbacks<ParserOf<C>>, keep = 256) {
    this.type = type;
    this.callbacks = callbacks;
    this.keep = keep;
  }

  acquire(conn: C, maxHeaderBytes: number): InFlight<C> {
    this.inUse++;
    const state = this.idle.pop() as InFlight<C> | undefined;
    if (state === undefined) return new InFlight(createParser(this.type, maxHeaderBytes, conn, this.callbacks));
    // A fresh start, as node:http reuses its parsers: no state of the previous connection survives.
    resetParser(state.parser, this.type, maxHeaderBytes);
    state.parser.conn = conn;
    return state;
  }

  /** Takes back a state whose owner will not use it again (never from inside its parser's execute()). */
  release(state: InFlight<C | null>): void {
    this.inUse--;
    state.clear();
    state.parser.conn = null;
    if (this.idle.length < this.keep) this.idle.push(state);
    else state.parser.free();
  }

  get size(): number {
    return this.idle.length;
  }
}
