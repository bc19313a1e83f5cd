// The HTTPS port as one unit: the TLS listener, the HTTP/1.1 fast path and the HTTP/2 frontend behind
// it, sharing one https context (scheme, port, snapshot). The runtime starts it, feeds it each
// snapshot's certificates and drains it like the plain port.
import type { RouteTableSpec } from '../../routing/spec.ts';
import type { Http1Context } from '../http1/context.ts';
import { Http1Listener } from '../http1/listener.ts';
import { Http2Frontend } from '../http2/frontend.ts';
import type { Http2Limits } from '../http2/context.ts';
import { TlsListener } from './tls-listener.ts';

export class HttpsListener {
  private readonly ctx: Http1Context;
  private readonly tls: TlsListener;
  private readonly http1: Http1Listener;
  private readonly http2: Http2Frontend;

  /** `ctx` must have scheme "https"; its localPort is set once the port is bound. */
  constructor(ctx: Http1Context, http2Limits: Http2Limits) {
    this.ctx = ctx;
    this.http1 = new Http1Listener(ctx);
    this.http2 = new Http2Frontend(ctx, http2Limits);
    this.tls = new TlsListener({
      http1: (socket) => void this.http1.accept(socket),
      http2: (socket) => this.http2.accept(socket),
      handshakeTimeoutMs: ctx.limits.headersTimeoutMs,
      gatewayPort: ctx.gatewayPort,
    });
    // HTTP/2 clients reuse a connection for every host its certificate covers (RFC 9113 9.1.1); a host
    // that would have had another certificate (another listener) is misdirected.
    ctx.misdirected = (serverName, host) => this.tls.differentCertificates(serverName, host);
  }

  async listen(port: number, host: string, reusePort = false): Promise<number> {
    const bound = await this.tls.listen(port, host, reusePort);
    this.ctx.localPort = String(bound);
    return bound;
  }

  /** New connections get this snapshot's certificates. Returns the certificates that could not be loaded. */
  applySnapshot(spec: Pick<RouteTableSpec, 'certificates' | 'defaultCertificate' | 'clientValidation'>): string[] {
    const problems = this.tls.applySnapshot(spec);
    // Where client certificates are asked for, an HTTP/1.1 request for a host the connection was not
    // opened (and verified) for is misdirected too: Host must not reach past the handshake's checks.
    this.ctx.misdirectedHttp1 = this.tls.validatesClients;
    return problems;
  }

  get connectionCount(): number {
    return this.http1.connectionCount + this.http2.sessionCount;
  }

  /** Stops accepting; resolves once every connection of the port is gone. */
  close(): Promise<void> {
    return this.tls.close();
  }

  /** Drain step: idle HTTP/1.1 connections close, HTTP/2 sessions get GOAWAY. */
  closeIdle(): void {
    this.http1.closeIdle();
    this.http2.closeGracefully();
  }

  destroyAll(): void {
    this.http1.destroyAll();
    this.http2.destroyAll();
    this.tls.destroyAll();
  }
}
