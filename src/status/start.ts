// Starts the status side of a replica in a cluster: leader election on the Lease
// tideway-<ingress-class>, and, while leader, Ingress status and Events. The runtime hands it every
// served snapshot; nothing here can throw into the data plane or hold it up (failures are logged and
// retried in the background).
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { dedicatedConnection, importClientNode, type ApiConnection } from '../kube/client.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { Settings } from '../settings/settings.ts';
import type { RouteTableSpec } from '../routing/spec.ts';
import type { GatewayApiStatus } from '../translate/index.ts';
import { KINDS, objectKey, type Kind, type KubeObject } from '../kube/types.ts';
import { EventRecorder, type ObjectUidLookup } from './event-recorder.ts';
import { GatewayStatusWriter } from './gateway-status.ts';
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
  /**
   * A snapshot is served: the Ingresses it serves ("ns/name"), its diagnostics and the status of the
   * Gateway API objects. Never throws.
   */
  onSnapshot(servedIngresses: readonly string[], diagnostics: readonly Diagnostic[], gatewayStatus?: GatewayApiStatus): void;
  readonly isLeader: boolean;
  /**
   * Stops writing and gives the Lease up if held, so another replica takes over at once. Giving it up
   * is attempted for at most `budgetMs` (default: one call's timeout): shutdown must not wait on a slow
   * API server, and an unreleased Lease only expires a little later.
   */
  close(budgetMs?: number): Promise<void>;
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

/** An ObjectUidLookup over the store's objects by objectKey() (a map lookup per Event created). */
export function uidFromStore(get: (key: string) => KubeObject | undefined): ObjectUidLookup {
  return (kind, namespace, name) => ((KINDS as readonly string[]).includes(kind) ? get(objectKey(kind as Kind, namespace, name))?.metadata.uid : undefined);
}

function addressSource(options: StartStatusOptions, k8s: Awaited<ReturnType<typeof importClientNode>>, timing: StatusTiming, connection: ApiConnection): AddressSource | undefined {
  const { settings, log } = options;
  if (settings.publishAddress !== undefined) {
    if (settings.publishService !== undefined) log('info', `--publish-address is given: --publish-service ${settings.publishService} is not read`);
    return new FixedAddress(parsePublishAddress(settings.publishAddress));
  }
  if (settings.publishService === undefined) return undefined;
  if (!/^[^/]+\/[^/]+$/.test(settings.publishService)) throw new PublishConfigError('publish-service', `"${settings.publishService}" must be namespace/name`);
  return new ServiceAddress({
    k8s, api: connection.client(k8s.CoreV1Api), service: settings.publishService,
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
  // Each writer has its own keep-alive connections: a Lease renewal never queues behind status writes,
  // Events or lists, and no writer pays a TLS handshake per call.
  const leaseConnection = await dedicatedConnection(kubeConfig, 1);
  const writeConnection = await dedicatedConnection(kubeConfig, timing.concurrency + 1);
  const eventConnection = await dedicatedConnection(kubeConfig, timing.concurrency);
  const address = addressSource(options, k8s, timing, writeConnection);
  if (!address) log('info', 'neither --publish-service nor --publish-address is given: Ingress status is not written');
  const status = address && new IngressStatusWriter({
    k8s, api: writeConnection.client(k8s.NetworkingV1Api), address, namespaces: settings.watchNamespaces, timing, log,
  });
  const gateways = new GatewayStatusWriter({ k8s, api: kubeConfig.makeApiClient(k8s.CustomObjectsApi), address, timing, log });
  const events = new EventRecorder({
    k8s, api: eventConnection.client(k8s.CoreV1Api), identity, timing, log, ...(options.objectUid ? { objectUid: options.objectUid } : {}),
  });
  const elector = new LeaderElector({
    k8s, api: leaseConnection.client(k8s.CoordinationV1Api), namespace: settings.leaderElectionNamespace, name, identity, timing, log,
    onStartedLeading: (term) => {
      address?.lead(term);
      status?.lead(term);
      gateways.lead(term);
      events.lead(term);
    },
    onStoppedLeading: () => {
      status?.follow();
      gateways.follow();
      events.follow();
    },
  });
  elector.start();
  let closed = false;
  return {
    onSnapshot(served, diagnostics, gatewayStatus) {
      if (closed) return;
      try {
        status?.setServed(served);
        if (gatewayStatus !== undefined) gateways.setStatus(gatewayStatus);
        events.setDiagnostics(diagnostics);
      } catch (error) {
        log('error', `status: snapshot not taken into account: ${(error as Error).stack ?? error}`);
      }
    },
    get isLeader() {
      return elector.isLeader;
    },
    async close(budgetMs = timing.callTimeoutMs) {
      if (closed) return;
      closed = true;
      status?.close();
      gateways.close();
      events.close();
      await elector.close(budgetMs);
      await Promise.all([leaseConnection, writeConnection, eventConnection].map((c) => c.close().catch(() => {})));
    },
  };
}
