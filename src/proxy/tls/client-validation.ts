// Client certificate validation on one TLS port (Gateway spec.tls.frontend): which server names ask for
// a client certificate, verified against which CA, and whether a connection without a valid one is
// served anyway (AllowInsecureFallback) or closed (AllowValidOnly). Looked up by SNI as listener
// hostnames match: the exact name, then wildcards from the most specific (any depth), then a listener
// without hostname ("").
import type { ClientValidationSpec } from '../../routing/spec.ts';

export interface ClientPolicy {
  caPem: string;
  mode: ClientValidationSpec['mode'];
}

export class ClientValidation {
  private readonly exact = new Map<string, ClientPolicy>();
  /** By the suffix after "*.". */
  private readonly wildcard = new Map<string, ClientPolicy>();
  private readonly anyName: ClientPolicy | null;

  private constructor(specs: readonly ClientValidationSpec[]) {
    let anyName: ClientPolicy | null = null;
    for (const spec of specs) {
      const policy: ClientPolicy = { caPem: spec.caPem, mode: spec.mode };
      for (const host of spec.hosts) {
        if (host === '') anyName ??= policy;
        else if (host.startsWith('*.')) { if (!this.wildcard.has(host.slice(2))) this.wildcard.set(host.slice(2), policy); }
        else if (!this.exact.has(host)) this.exact.set(host, policy);
      }
    }
    this.anyName = anyName;
  }

  /** The validation of Gateway port `port`, or null when it has none. */
  static forPort(specs: readonly ClientValidationSpec[] | undefined, port: number): ClientValidation | null {
    const mine = (specs ?? []).filter((s) => s.port === port);
    return mine.length === 0 ? null : new ClientValidation(mine);
  }

  /** The policy of a server name (SNI; "" when the client sent none), or null: no client certificate asked for. */
  policyFor(serverName: string): ClientPolicy | null {
    const name = serverName.toLowerCase();
    if (name === '') return this.anyName;
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
      const wildcard = this.wildcard.get(name.slice(dot + 1));
      if (wildcard !== undefined) return wildcard;
    }
    return this.anyName;
  }
}
