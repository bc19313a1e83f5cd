// Rapid-reset protection (CVE-2023-44487): a client that opens streams and cancels them at once makes
// the proxy start upstream work for nothing, as fast as it can send frames. Each session counts the
// streams its client cancelled; beyond the limit in one second it gets GOAWAY ENHANCE_YOUR_CALM and is
// cut. nghttp2's own limit (about a thousand resets) comes later and answers INTERNAL_ERROR; this one
// is lower and says why. Streams start on the next event-loop turn (see frontend.ts), so a HEADERS
// and RST_STREAM pair read together never reaches an upstream.
import http2 from 'node:http2';

const WINDOW_MS = 1000;

export class CancelGuard {
  private readonly session: http2.ServerHttp2Session;
  private readonly limit: number;
  private windowStart = 0;
  private count = 0;
  private tripped = false;

  constructor(session: http2.ServerHttp2Session, limitPerSecond: number) {
    this.session = session;
    this.limit = limitPerSecond;
  }

  /** A stream was reset by the client before its response ended. */
  onCancel(): void {
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count > this.limit && !this.tripped && !this.session.destroyed) {
      this.tripped = true;
      // destroy()'s own code argument does not reach the wire: the GOAWAY is sent first, and the session
      // is cut once that frame had its turn to be written.
      const session = this.session;
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      setImmediate(() => session.destroy());
    }
  }
}
