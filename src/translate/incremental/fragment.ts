// One object's translation, recorded instead of applied: a Fragment. translateIngress() runs exactly as
// in the full translation, but against recorders: a path claim, a default-backend claim or a TLS host
// claim becomes a step whose outcome (won, or lost to an Ingress with precedence) is settled later, per
// host, by the merge (merge.ts). Diagnostics are recorded in order, those of a claim inside its step,
// so that replaying the steps with their outcomes gives the very list the full translation reports.
// Every lookup in other objects is recorded too (`reads`): a change of one of them rebuilds the fragment.
import type { Diagnostic, Severity } from '../../kube/diagnostic.ts';
import type { Ingress } from '../../kube/types.ts';
import type { RouteSpec } from '../../routing/spec.ts';
import { resolveBackend, type BackendDefinition, type BackendRef, type BackendSink } from '../backends.ts';
import type { Lookups } from '../cluster-index.ts';
import type { ObjectDiagnostics } from '../diagnostics.ts';
import { translateIngress } from '../ingress.ts';
import { isServedByUs } from '../ingress-class.ts';
import { NO_NGINX_GLOBALS, nginxView } from '../ingress-nginx/index.ts';
import type { TranslateOptions } from '../options.ts';
import { namespaceOf } from '../precedence.ts';
import type { ClaimScope, RouteSink } from '../route-set.ts';
import { CertificateSet, type Claim, type SecretCheck } from '../tls.ts';
import { RecordingLookups } from './recording-lookups.ts';

/** A diagnostic of the fragment's object, without kind and object (the fragment knows them). */
export type RecordedDiagnostic = Pick<Diagnostic, 'severity' | 'field' | 'reason' | 'message'>;

export interface PathStep {
  readonly type: 'path';
  readonly host: string;
  readonly conflictKey: string;
  readonly describe: { kind: string; path: string };
  readonly at: string;
  readonly where: string;
  /** Reported only when the claim is not lost (the backend's problems). */
  readonly diagnostics: RecordedDiagnostic[];
  /** Null when the backend could not be used at all: the path then claims nothing. */
  route: RouteSpec | null;
}

export interface DefaultStep {
  readonly type: 'default';
  readonly at: string;
  readonly where: string;
  readonly diagnostics: RecordedDiagnostic[];
  route: RouteSpec | null;
}

export interface TlsStep {
  readonly type: 'tls';
  readonly host: string;
  readonly claim: Claim;
  readonly at: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export type Step = { readonly type: 'diagnostic'; readonly diagnostic: RecordedDiagnostic } | PathStep | DefaultStep | TlsStep;

export interface Fragment {
  /** "namespace/name" */
  readonly ref: string;
  readonly ingress: Ingress;
  readonly served: boolean;
  /**
   * An ingress-nginx canary Ingress (its paths become middlewares of other Ingresses' routes), or one
   * whose nginx annotations read other Ingresses' hosts or endpoints (NginxView.crossObject).
   */
  readonly canary: boolean;
  readonly steps: readonly Step[];
  /** Path steps by host, in step order. */
  readonly pathsByHost: ReadonlyMap<string, readonly PathStep[]>;
  /** TLS steps by host, in step order. */
  readonly tlsByHost: ReadonlyMap<string, readonly TlsStep[]>;
  readonly defaultStep: DefaultStep | null;
  /** Every backend resolved, by key. */
  readonly backends: ReadonlyMap<string, BackendDefinition>;
  /** Backends used whatever the claims' outcome (those of middlewares, e.g. a canary Service). */
  readonly unconditional: ReadonlySet<string>;
  /** objectKey()s of the objects read; "IngressClass/*" for the list of every IngressClass. */
  readonly reads: ReadonlySet<string>;
}

function recorder(into: { push(d: RecordedDiagnostic): void }, kind: string, object: string): ObjectDiagnostics {
  const report = (severity: Severity, field: string, reason: string, message: string): void => into.push({ severity, field, reason, message });
  return {
    kind,
    object,
    error: (field, reason, message) => report('error', field, reason, message),
    warning: (field, reason, message) => report('warning', field, reason, message),
  };
}

/** Records what translateIngress() does; one per fragment built. */
class FragmentRecorder implements RouteSink, BackendSink {
  readonly steps: Step[] = [];
  readonly pathsByHost = new Map<string, PathStep[]>();
  readonly tlsByHost = new Map<string, TlsStep[]>();
  defaultStep: DefaultStep | null = null;
  readonly backends = new Map<string, BackendDefinition>();
  readonly unconditional = new Set<string>();
  readonly diag: ObjectDiagnostics;
  /** The diagnostics of claims: a backend resolved through one of them is used only if the claim holds. */
  private readonly claimDiags = new WeakSet<ObjectDiagnostics>();
  private readonly lookups: Lookups;

  /** Where the Ingress's diagnostics go while a claim's backend is resolved: that claim's step. */
  private capture: RecordedDiagnostic[] | null = null;

  constructor(lookups: Lookups, ref: string) {
    this.lookups = lookups;
    this.diag = recorder({
      push: (diagnostic) => (this.capture ? this.capture.push(diagnostic) : this.steps.push({ type: 'diagnostic', diagnostic })),
    }, 'Ingress', ref);
  }

  claimPath(host: string, conflictKey: string, describe: { kind: string; path: string }, at: string, where: string, diag: ObjectDiagnostics): ClaimScope {
    const step: PathStep = { type: 'path', host, conflictKey, describe: { kind: describe.kind, path: describe.path }, at, where, diagnostics: [], route: null };
    this.steps.push(step);
    const list = this.pathsByHost.get(host);
    if (list) list.push(step);
    else this.pathsByHost.set(host, [step]);
    return { diag: this.claimDiag(step.diagnostics, diag), add: (route) => (step.route = route) };
  }

  /**
   * The claim's diagnostics: reported through the caller's `diag` (which may rename fields, as the
   * nginx view does), captured into the claim's step.
   */
  private claimDiag(into: RecordedDiagnostic[], through: ObjectDiagnostics): ObjectDiagnostics {
    const captured = (report: () => void): void => {
      const outer = this.capture;
      this.capture = into;
      try {
        report();
      } finally {
        this.capture = outer;
      }
    };
    const diag: ObjectDiagnostics = {
      kind: through.kind,
      object: through.object,
      error: (field, reason, message) => captured(() => through.error(field, reason, message)),
      warning: (field, reason, message) => captured(() => through.warning(field, reason, message)),
    };
    this.claimDiags.add(diag);
    return diag;
  }

  claimDefault(at: string, where: string, diag: ObjectDiagnostics): ClaimScope {
    const step: DefaultStep = { type: 'default', at, where, diagnostics: [], route: null };
    this.steps.push(step);
    this.defaultStep ??= step;
    return { diag: this.claimDiag(step.diagnostics, diag), add: (route) => (step.route = route) };
  }

  claimTls(host: string, claim: Claim, at: string, check: SecretCheck & { ok: true }): void {
    const step: TlsStep = { type: 'tls', host, claim, at, certPem: check.certPem, keyPem: check.keyPem };
    this.steps.push(step);
    const list = this.tlsByHost.get(host);
    if (list) list.push(step);
    else this.tlsByHost.set(host, [step]);
  }

  resolve(...args: Parameters<BackendSink['resolve']>): BackendRef {
    const [namespace, backend, at, protocolOverride, diag, tlsRequest] = args;
    const resolved = resolveBackend(this.lookups, namespace, backend, at, protocolOverride, diag, tlsRequest ?? null);
    if (!resolved.route || resolved.backend === null) return resolved;
    this.backends.set(resolved.backend, resolved.definition);
    // Outside a claim: a middleware's backend, used whenever the Ingress is served.
    if (!this.claimDiags.has(diag)) this.unconditional.add(resolved.backend);
    return { route: true, backend: resolved.backend };
  }
}

/** spec.tls as the full translation reads it, with each host claim recorded as a step. */
class RecordingCertificates extends CertificateSet {
  private readonly into: FragmentRecorder;

  constructor(lookups: Lookups, into: FragmentRecorder) {
    super(lookups);
    this.into = into;
  }

  protected override claimHost(host: string, claim: Claim, at: string, check: SecretCheck & { ok: true }): void {
    this.into.claimTls(host, claim, at, check);
  }
}

/** Canary Ingresses are not translated incrementally (see IncrementalTranslator.complete): none here. */
const NO_CANARIES = { for: () => undefined };
/** Nor Ingresses that add host names (crossObject): no taken hosts needed here. */
const NO_HOSTS: ReadonlySet<string> = new Set();

/** The Fragment of one Ingress, reading other objects through `lookups`. Pure. */
export function ingressFragment(ingress: Ingress, lookups: Lookups, options: TranslateOptions): Fragment {
  const namespace = namespaceOf(ingress);
  const ref = `${namespace}/${ingress.metadata.name}`;
  const reads = new Set<string>();
  const recording = new RecordingLookups(lookups, reads);
  const record = new FragmentRecorder(recording, ref);
  const served = isServedByUs(ingress, recording, options, record.diag);
  let canary = false;
  if (served) {
    const view = nginxView(ingress, options.nginxAnnotationPrefix, namespace, NO_NGINX_GLOBALS, NO_HOSTS, record.diag);
    canary = view.crossObject;
    if (!canary) {
      try {
        translateIngress(view, {
          lookups: recording, options, backends: record, certificates: new RecordingCertificates(recording, record), routes: record, canaries: NO_CANARIES,
        });
      } catch (err) {
        // As in translate(): a safety net, not a code path.
        view.diag.error('', 'InternalError', `could not be translated: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  return {
    ref, ingress, served, canary, steps: record.steps, pathsByHost: record.pathsByHost, tlsByHost: record.tlsByHost,
    defaultStep: record.defaultStep, backends: record.backends, unconditional: record.unconditional, reads,
  };
}
