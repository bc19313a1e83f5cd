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
