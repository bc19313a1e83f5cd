// The client-bound bytes of one HTTP/1.1 response. What is written while one upstream read is handled
// (head, small body pieces, the last chunk) is gathered and sent in one write when the read ends, or
// before anything that must follow it: one syscall for head and small body. A head copied from the
// upstream's bytes is gathered as a Buffer with room for the body of the same read; other output as
// latin1 text (bytes one to one). At most one of the two is held at a time, so order is kept.
import type net from 'node:net';
import { writeBodyPiece } from './chunked.ts';

/** Body chunks up to this size are gathered with the head into one write. */
export const MAX_GATHERED_CHUNK = 16 * 1024;

const CRLF = '\r\n';

export class ClientOutput {
  /** Inside one upstream read: writes are gathered until it ends. */
  gathering = false;
  /** The body goes out with chunked framing (the upstream's had no length). */
  chunked = false;
  /** A body piece of the current read was written by reference, not copied. */
  private readReferenced = false;
  private text: string | null = null;
  private bytes: Buffer | null = null;
  /** Bytes of `bytes` filled so far. */
  private filled = 0;
  private readonly socket: net.Socket;

  constructor(socket: net.Socket) {
    this.socket = socket;
  }

  beginRead(): void {
    this.gathering = true;
    this.readReferenced = false;
  }

  /** The read is handled: sends what was gathered. Returns the backpressure signal (false: wait for drain). */
  endRead(): boolean {
    this.gathering = false;
    return this.flush();
  }

  /**
   * Whether no byte of the last read is referenced any more: gathered pieces are copies; only a piece
   * written by reference keeps the read's memory until the socket took it. (A TLS socket's write
   * completes after write() returns: requiring an empty write queue after every read made each upstream
   * read on a TLS client connection allocate a fresh 64 KiB buffer, and V8 collect them.)
   */
  readReleased(): boolean {
    return (!this.readReferenced || this.socket.writableLength === 0) && !this.socket.destroyed;
  }

  /** Text (a head built from header fields, chunk framing): gathered during a read, else written. */
  write(text: string): void {
    if (!this.gathering) {
      this.socket.write(text, 'latin1');
      return;
    }
    if (this.bytes !== null) this.flush();
    this.text = this.text === null ? text : this.text + text;
  }

  /** A head of `length` bytes at the start of `bytes`; the rest is room for body bytes of this read. */
  writeHead(bytes: Buffer, length: number): void {
    if (!this.gathering) {
      this.socket.write(length === bytes.length ? bytes : bytes.subarray(0, length));
      return;
    }
    this.flush();
    this.bytes = bytes;
    this.filled = length;
  }

  /** A body piece: into the head's room, gathered as text when small, else written as is. Returns the backpressure signal. */
  writeBody(chunk: Buffer): boolean {
    const bytes = this.bytes;
    if (bytes !== null && bytes.length - this.filled >= chunk.length) {
      this.filled += chunk.copy(bytes, this.filled);
      return true;
    }
    if (this.gathering && chunk.length <= MAX_GATHERED_CHUNK) {
      this.write(this.chunked ? chunk.length.toString(16) + CRLF + chunk.toString('latin1') + CRLF : chunk.toString('latin1'));
      return true;
    }
    this.flush();
    this.readReferenced = true;
    return writeBodyPiece(this.socket, chunk, this.chunked);
  }

  /** Sends what was gathered; returns the backpressure signal. */
  flush(): boolean {
    const text = this.text;
    if (text !== null) {
      this.text = null;
      return this.socket.write(text, 'latin1');
    }
    const bytes = this.bytes;
    if (bytes === null) return true;
    this.bytes = null;
    return this.socket.write(this.filled === bytes.length ? bytes : bytes.subarray(0, this.filled));
  }
}
