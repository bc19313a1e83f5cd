// Which certificate a TLS handshake gets, by SNI server name: exact host, then a wildcard one label up
// ("*.example.com" covers "a.example.com", not "a.b.example.com"), then the default certificate.
// Rebuilt for every routing snapshot; SecureContexts are cached by Secret and content hash, so a
// snapshot that did not change a certificate reuses its context (building one parses PEM and costs
// about a millisecond per certificate). Connections already established keep the context they got.
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { TlsCertificateSpec } from '../../routing/spec.ts';

export interface CertificateSource {
  /** "namespace/name" of the Secret, or a label ("self-signed") for the generated default. */
  secret: string;
  certPem: string;
  keyPem: string;
}

/** A certificate that node's TLS stack refused (translate checks PEM and key; this is the last guard). */
export class CertificateLoadError extends Error {
  readonly secret: string;
  constructor(secret: string, cause: Error) {
    super(`certificate of Secret ${secret} cannot be loaded: ${cause.message}`);
    this.name = 'CertificateLoadError';
    this.secret = secret;
  }
}

/** Protocol floor and ALPN are server options; contexts carry key material, and the CA of client certificates. */
function contextOptions(source: CertificateSource, caPem: string | null): tls.SecureContextOptions {
  return { cert: source.certPem, key: source.keyPem, minVersion: 'TLSv1.2', ...(caPem === null ? {} : { ca: caPem }) };
}

interface Entry {
  context: tls.SecureContext;
  source: CertificateSource;
}

export class CertificateSelector {
  private exact = new Map<string, Entry>();
  /** Keyed by the suffix after "*.". */
  private wildcard = new Map<string, Entry>();
  private fallback: Entry;
  private currentFallback: CertificateSource;
  private cache = new Map<string, tls.SecureContext>();

  constructor(fallback: CertificateSource) {
    this.currentFallback = fallback;
    this.fallback = { context: this.contextFor(fallback, null, new Map()), source: fallback };
  }

  /**
   * Installs the certificates of a new snapshot. `fallback` is the default certificate for names no
   * entry covers. Returns the certificates that could not be loaded (their hosts get the fallback).
   */
  update(certificates: readonly TlsCertificateSpec[], fallback: CertificateSource): CertificateLoadError[] {
    const errors: CertificateLoadError[] = [];
    const cache = new Map<string, tls.SecureContext>();
    const exact = new Map<string, Entry>();
    const wildcard = new Map<string, Entry>();
    let fallbackEntry: Entry;
    try {
      fallbackEntry = { context: this.contextFor(fallback, null, cache), source: fallback };
      this.currentFallback = fallback;
    } catch (error) {
      errors.push(error as CertificateLoadError);
      fallbackEntry = { context: this.contextFor(this.currentFallback, null, cache), source: this.currentFallback };
    }
    for (const certificate of certificates) {
      if (certificate.hosts.length === 0) continue; // the default entry is resolved by the caller
      let entry: Entry;
      try {
        entry = { context: this.contextFor(certificate, null, cache), source: certificate };
      } catch (error) {
        errors.push(error as CertificateLoadError);
        continue;
      }
      for (const host of certificate.hosts) {
        if (host.startsWith('*.')) wildcard.set(host.slice(2), entry);
        else exact.set(host, entry);
      }
    }
    this.cache = cache;
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallbackEntry;
    return errors;
  }

  /** The context for a server name from the ClientHello (compared case-insensitively: clients differ). */
  select(serverName: string): tls.SecureContext {
    return this.entry(serverName).context;
  }

  /**
   * The context for a server name that asks for client certificates verified against `caPem`: its
   * certificate with that CA (built on first use, then cached with the others of the snapshot).
   */
  selectWithCa(serverName: string, caPem: string): tls.SecureContext {
    return this.contextFor(this.entry(serverName).source, caPem, this.cache);
  }

  private entry(serverName: string): Entry {
    const name = serverName.toLowerCase();
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wildcard = this.wildcard.get(name.slice(dot + 1));
      if (wildcard !== undefined) return wildcard;
    }
    return this.fallback;
  }

  /** The default certificate in use (the last good one when an update's fallback failed to load). */
  get fallbackSource(): CertificateSource {
    return this.currentFallback;
  }

  /** The cached context for this Secret, content and CA, or a new one (kept in `next`, the next cache). */
  private contextFor(source: CertificateSource, caPem: string | null, next: Map<string, tls.SecureContext>): tls.SecureContext {
    const hash = createHash('sha256').update(source.secret).update('\0').update(source.certPem).update('\0').update(source.keyPem);
    if (caPem !== null) hash.update('\0ca\0').update(caPem);
    const key = hash.digest('base64');
    let context = next.get(key) ?? this.cache.get(key);
    if (context === undefined) {
      try {
        context = tls.createSecureContext(contextOptions(source, caPem));
      } catch (error) {
        throw new CertificateLoadError(source.secret, error as Error);
      }
    }
    next.set(key, context);
    return context;
  }
}
