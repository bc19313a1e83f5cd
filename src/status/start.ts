// Starts the status side of a replica in a cluster: leader election on the Lease
// tideway-<ingress-class>, and, while leader, Ingress status and Events. The runtime hands it every
// served snapshot; nothing here can throw into the data plane or hold it up (failures are logged and
// retried in the background).
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { importClientNode } from '../kube/client.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { Settings } from '../settings/settings.ts';
import type { RouteTableSpec } from '../routing/spec.ts';
import type { ClusterState } from '../store/cluster-state.ts';
import { EventRecorder, type ObjectUidLookup } from './event-recorder.ts';
import { IngressStatusWriter } from './ingress-status.ts';
import { LeaderElector } from './leader-election.ts';
import { FixedAddress, parsePublishAddress, PublishConfigError, ServiceAddress, type AddressSource } from './publish-address.ts';
import type { StatusLog } from './problem-log.ts';
import { resolveStatusTiming, type StatusTiming } from './timing.ts';

export type StatusSettings = Pick<Settings, 'ingressClass' | 'publishService' | 'publishAddress' | 'leaderElectionNamespace' | 'watchNamespaces'>;

export interface StartStatusOptions {
  kubeConfig: KubeConfig;
  settings: StatusSettings;
  log: StatusLog;
  /** Holder identity in the Lease and reportingInstance of Events: see defaultIdentity(). */
  identity: string;
  /** Tests shorten the lease and intervals. */
  timing?: Partial<StatusTiming>;
  /** Gives Events the uid of their object, so that `kubectl describe` lists them. */
  objectUid?: ObjectUidLookup;
}

export interface StatusHandle {
  /** A snapshot is served: the Ingresses it serves ("ns/name") and its diagnostics. Never throws. */
  onSnapshot(servedIngresses: readonly string[], diagnostics: readonly Diagnostic[]): void;
  readonly isLeader: boolean;
  /** Stops writing and gives the Lease up if held, so another replica takes over at once. */
  close(): Promise<void>;
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The Lease's name (DESIGN.md contract). */
export function leaseName(ingressClass: string): string {
  return `tideway-${ingressClass}`;
}

/** $POD_NAME (set from the downward API in deploy/), else hostname and pid. */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME?.trim() || `${hostname()}-${process.pid}`;
}

/** The Ingresses a route table serves, as "ns/name", each once. */
export function servedIngresses(spec: RouteTableSpec): string[] {
  const served = new Set<string>();
  for (const host of spec.hosts) for (const route of host.routes) served.add(`${route.namespace}/${route.ingress}`);
  if (spec.defaultRoute) served.add(`${spec.defaultRoute.namespace}/${spec.defaultRoute.ingress}`);
  return [...served];
}

/** An ObjectUidLookup over the store's current state (linear: it runs once per Event created). */
export function uidFromState(state: () => ClusterState): ObjectUidLookup {
  const lists: Record<string, keyof Omit<ClusterState, 'sourceDiagnostics'>> = {
    Ingress: 'ingresses', IngressClass: 'ingressClasses', Service: 'services', EndpointSlice: 'endpointSlices', Secret: 'secrets', Middleware: 'middlewares',
    GatewayClass: 'gatewayClasses', Gateway: 'gateways', HTTPRoute: 'httpRoutes', GRPCRoute: 'grpcRoutes', ReferenceGrant: 'referenceGrants',
    BackendTLSPolicy: 'backendTlsPolicies', ListenerSet: 'listenerSets',
  };
  return (kind, namespace, name) => {
    const list = lists[kind];
    if (!list) return undefined;
    return state()[list]?.find((o) => o.metadata.name === name && o.metadata.namespace === namespace)?.metadata.uid;
  };
}

function addressSource(options: StartStatusOptions, k8s: Awaited<ReturnType<typeof importClientNode>>, timing: StatusTiming): AddressSource | undefined {
  const { settings, log } = options;
  if (settings.publishAddress !== undefined) {
    if (settings.publishService !== undefined) log('info', `--publish-address is given: --publish-service ${settings.publishService} is not read`);
    return new FixedAddress(parsePublishAddress(settings.publishAddress));
  }
  if (settings.publishService === undefined) return undefined;
  if (!/^[^/]+\/[^/]+$/.test(settings.publishService)) throw new PublishConfigError('publish-service', `"${settings.publishService}" must be namespace/name`);
  return new ServiceAddress({
    k8s, api: options.kubeConfig.makeApiClient(k8s.CoreV1Api), service: settings.publishService,
    intervalMs: timing.publishServiceIntervalMs, callTimeoutMs: timing.callTimeoutMs, log,
  });
}

/**
 * Starts leader election at once; status and Events follow the snapshots given to onSnapshot.
 * Throws PublishConfigError / StatusTimingError for bad settings, before anything starts.
 */
export async function startStatus(options: StartStatusOptions): Promise<StatusHandle> {
  const { kubeConfig, settings, log, identity } = options;
  const timing = resolveStatusTiming(options.timing);
  const name = leaseName(settings.ingressClass);
  if (!DNS_SUBDOMAIN.test(name)) throw new PublishConfigError('ingress-class', `"${settings.ingressClass}" does not make a valid Lease name (${name})`);
  const k8s = await importClientNode();
  const address = addressSource(options, k8s, timing);
  if (!address) log('info', 'neither --publish-service nor --publish-address is given: Ingress status is not written');
  const status = address && new IngressStatusWriter({
    k8s, api: kubeConfig.makeApiClient(k8s.NetworkingV1Api), address, namespaces: settings.watchNamespaces, timing, log,
  });
  const events = new EventRecorder({
    k8s, api: kubeConfig.makeApiClient(k8s.CoreV1Api), identity, timing, log, ...(options.objectUid ? { objectUid: options.objectUid } : {}),
  });
  const elector = new LeaderElector({
    k8s, api: kubeConfig.makeApiClient(k8s.CoordinationV1Api), namespace: settings.leaderElectionNamespace, name, identity, timing, log,
    onStartedLeading: (term) => {
      address?.lead(term);
      status?.lead(term);
      events.lead(term);
    },
    onStoppedLeading: () => {
      status?.follow();
      events.follow();
    },
  });
  elector.start();
  let closed = false;
  return {
    onSnapshot(served, diagnostics) {
      if (closed) return;
      try {
        status?.setServed(served);
        events.setDiagnostics(diagnostics);
      } catch (error) {
        log('error', `status: snapshot not taken into account: ${(error as Error).stack ?? error}`);
      }
    },
    get isLeader() {
      return elector.isLeader;
    },
    async close() {
      if (closed) return;
      closed = true;
      await elector.close();
      status?.close();
      events.close();
    },
  };
}
