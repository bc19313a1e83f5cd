// Writes one body piece with HTTP/1.1 chunked framing (size line, data, CRLF), or as is.
/** A socket, or an upstream connection that counts what it writes. */
export interface ByteSink {
  write(data: string | Buffer, encoding?: BufferEncoding): boolean;
}

/** Returns the last write's backpressure signal (false: wait for 'drain'). */
export function writeBodyPiece(out: ByteSink, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return out.write(chunk);
  out.write(chunk.length.toString(16) + '\r\n', 'latin1');
  out.write(chunk);
  return out.write('\r\n', 'latin1');
}

const LAST_CHUNK = '0\r\n\r\n';

/**
 * Starts an upstream request in one corked write: the head, the body pieces held while connecting,
 * and the last chunk when the (chunked) body is already complete. Returns the backpressure signal.
 */
export function writeRequestStart(out: ByteSink & { socket: { cork(): void; uncork(): void } }, head: string, held: readonly Buffer[] | null, chunked: boolean, bodyComplete: boolean): boolean {
  out.socket.cork();
  let ok = out.write(head, 'latin1');
  if (held !== null) for (const chunk of held) ok = writeBodyPiece(out, chunk, chunked);
  if (bodyComplete && chunked) ok = out.write(LAST_CHUNK, 'latin1');
  out.socket.uncork();
  return ok;
}
