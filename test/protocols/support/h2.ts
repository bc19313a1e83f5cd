// Node's own HTTP/2 client for protocol tests: one request on a session, its status, headers, body and
// trailers collected.
import http2 from 'node:http2';

export interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
  trailers: http2.IncomingHttpHeaders | null;
}

export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': body === undefined ? 'GET' : 'POST', ...headers }, { endStream: body === undefined });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h;
    });
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString(), trailers }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** A session to the plain port (h2c prior knowledge) or the TLS port (`ca` trusted, SNI `servername`). */
export function h2Connect(port: number, tls?: { ca: string; servername: string }): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = tls === undefined
      ? http2.connect(`http://127.0.0.1:${port}`)
      : http2.connect(`https://127.0.0.1:${port}`, { ca: tls.ca, servername: tls.servername });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}
