// The TLS port: certificates chosen by SNI (certificate-selector.ts), TLS 1.2 at least, ALPN "h2" then
// "http/1.1". After the handshake a connection that negotiated h2 goes to HTTP/2; every other one
// (http/1.1, or a client without ALPN) goes to the HTTP/1.1 fast path with an https context.
// Where a Gateway's HTTPS listeners validate client certificates (client-validation.ts), the port asks
// every client for one, the SNI context of those names carries the CA that verifies it, and a
// connection without a valid certificate to a name that requires one is closed after the handshake.
import tls from 'node:tls';
import type net from 'node:net';
import type { RouteTableSpec } from '../../routing/spec.ts';
import { CertificateSelector, type CertificateSource } from './certificate-selector.ts';
import { ClientValidation, type ClientPolicy } from './client-validation.ts';
import { chooseDefaultCertificate } from './default-certificate.ts';
import { createSelfSignedCertificate } from './self-signed.ts';

export interface TlsListenerOptions {
  http1(socket: tls.TLSSocket): void;
  http2(socket: tls.TLSSocket): void;
  handshakeTimeoutMs: number;
  /** The Gateway listener port this port serves, as written (443 for --https-port): selects its client validation. */
  gatewayPort: number;
}

const SELF_SIGNED_NAME = 'Tideway Default Certificate';

export class TlsListener {
  readonly server: tls.Server;
  private readonly selector: CertificateSelector;
  private readonly generated: CertificateSource;
  private fallback: CertificateSource;
  /** Raw connections until they close: shutdown must also end those still in their handshake. */
  private readonly sockets = new Set<net.Socket>();
  private readonly gatewayPort: number;
  private validation: ClientValidation | null = null;
  /** The CA of the server's own context (clients without SNI), when they must present a certificate. */
  private fallbackCa: string | null = null;

  constructor(options: TlsListenerOptions) {
    const pair = createSelfSignedCertificate(SELF_SIGNED_NAME);
    this.generated = { secret: 'self-signed', ...pair };
    this.fallback = this.generated;
    this.selector = new CertificateSelector(this.generated);
    this.gatewayPort = options.gatewayPort;
    this.server = tls.createServer({
      ...this.serverContextOptions(),
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: options.handshakeTimeoutMs,
      // Client certificates are checked per server name after the handshake (see secureConnection).
      rejectUnauthorized: false,
      SNICallback: (name, callback) => {
        try {
          callback(null, this.contextFor(name));
        } catch (error) {
          callback(error as Error, undefined); // fails the handshake: never a context without its CA
        }
      },
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
      if (this.validation !== null && !socket.authorized && this.validation.policyFor(socket.servername || '')?.mode === 'AllowValidOnly') {
        socket.destroy();
        return;
      }
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
  applySnapshot(spec: Pick<RouteTableSpec, 'certificates' | 'defaultCertificate' | 'clientValidation'>): string[] {
    const problems = this.selector.update(spec.certificates, chooseDefaultCertificate(spec, this.generated)).map((error) => error.message);
    this.validation = ClientValidation.forPort(spec.clientValidation, this.gatewayPort);
    // Asked in every handshake of the port: node decides it per server, before the client names a host.
    // (tls.Server reads `requestCert` for each new connection; @types/node does not list the property.)
    (this.server as tls.Server & { requestCert: boolean }).requestCert = this.validation !== null;
    const fallback = this.selector.fallbackSource;
    const fallbackCa = this.validation?.policyFor('')?.caPem ?? null;
    if (fallback.certPem !== this.fallback.certPem || fallback.keyPem !== this.fallback.keyPem || fallbackCa !== this.fallbackCa) {
      this.fallback = fallback;
      this.fallbackCa = fallbackCa;
      this.server.setSecureContext(this.serverContextOptions());
    }
    return problems;
  }

  /** Whether `a` and `b` get different contexts (certificate, or client validation): the same context is shared by the names it covers. */
  differentCertificates(a: string, b: string): boolean {
    return this.contextFor(a) !== this.contextFor(b);
  }

  /** Whether some name of this port asks for client certificates (then HTTP/1.1 requests are checked for misdirection too). */
  get validatesClients(): boolean {
    return this.validation !== null;
  }

  private contextFor(name: string): tls.SecureContext {
    const policy: ClientPolicy | null = this.validation?.policyFor(name) ?? null;
    return policy === null ? this.selector.select(name) : this.selector.selectWithCa(name, policy.caPem);
  }

  /** Clients that send no server name (connecting by IP) get the server's own context: the fallback. */
  private serverContextOptions(): tls.SecureContextOptions {
    return { cert: this.fallback.certPem, key: this.fallback.keyPem, minVersion: 'TLSv1.2', ...(this.fallbackCa === null ? {} : { ca: this.fallbackCa }) };
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
