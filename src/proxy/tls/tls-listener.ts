// The TLS port: certificates chosen by SNI (certificate-selector.ts), TLS 1.2 at least, ALPN "h2" then
// "http/1.1". After the handshake a connection that negotiated h2 goes to HTTP/2; every other one
// (http/1.1, or a client without ALPN) goes to the HTTP/1.1 fast path with an https context.
import tls from 'node:tls';
import type net from 'node:net';
import type { RouteTableSpec } from '../../routing/spec.ts';
import { CertificateSelector, type CertificateSource } from './certificate-selector.ts';
import { chooseDefaultCertificate } from './default-certificate.ts';
import { createSelfSignedCertificate } from './self-signed.ts';

export interface TlsListenerOptions {
  http1(socket: tls.TLSSocket): void;
  http2(socket: tls.TLSSocket): void;
  handshakeTimeoutMs: number;
}

const SELF_SIGNED_NAME = 'Tideway Default Certificate';

export class TlsListener {
  readonly server: tls.Server;
  private readonly selector: CertificateSelector;
  private readonly generated: CertificateSource;
  private fallback: CertificateSource;
  /** Raw connections until they close: shutdown must also end those still in their handshake. */
  private readonly sockets = new Set<net.Socket>();

  constructor(options: TlsListenerOptions) {
    const pair = createSelfSignedCertificate(SELF_SIGNED_NAME);
    this.generated = { secret: 'self-signed', ...pair };
    this.fallback = this.generated;
    this.selector = new CertificateSelector(this.generated);
    this.server = tls.createServer({
      ...this.serverContextOptions(),
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: options.handshakeTimeoutMs,
      SNICallback: (name, callback) => callback(null, this.selector.select(name)),
    });
    const sockets = this.sockets;
    // One handler for every raw socket (`this` is the socket), not a closure and a once-wrapper per connection.
    function forget(this: net.Socket): void {
      sockets.delete(this);
    }
    this.server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', forget);
    });
    this.server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.setNoDelay(true);
      if (socket.alpnProtocol === 'h2') options.http2(socket);
      else options.http1(socket);
    });
    // Failed handshakes (scanners, wrong protocol, handshake timeout) only cost their socket.
    this.server.on('tlsClientError', (_error: Error, socket: tls.TLSSocket) => socket.destroy());
  }

  /**
   * Serves a snapshot's certificates to new connections; connections already open keep theirs. Returns
   * the certificates node's TLS stack refused (translate has checked them, so this is a last guard),
   * for the log: their names get the default certificate, never another host's.
   */
  applySnapshot(spec: Pick<RouteTableSpec, 'certificates' | 'defaultCertificate'>): string[] {
    const problems = this.selector.update(spec.certificates, chooseDefaultCertificate(spec, this.generated)).map((error) => error.message);
    const fallback = this.selector.fallbackSource;
    if (fallback.certPem !== this.fallback.certPem || fallback.keyPem !== this.fallback.keyPem) {
      this.fallback = fallback;
      this.server.setSecureContext(this.serverContextOptions());
    }
    return problems;
  }

  /** Whether `a` and `b` get different certificates (the same secure context is shared by the names it covers). */
  differentCertificates(a: string, b: string): boolean {
    return this.selector.select(a) !== this.selector.select(b);
  }

  /** Clients that send no server name (connecting by IP) get the server's own context: the fallback. */
  private serverContextOptions(): tls.SecureContextOptions {
    return { cert: this.fallback.certPem, key: this.fallback.keyPem, minVersion: 'TLSv1.2' };
  }

  listen(port: number, host: string, reusePort = false): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, reusePort, exclusive: reusePort }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting; resolves once every connection is gone. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Cuts every connection of this port, those still in their handshake included (end of a drain). */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
