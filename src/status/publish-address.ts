// The address Tideway publishes in Ingress status.loadBalancer.ingress (DESIGN.md contract): fixed by
// --publish-address (IPs or hostnames, comma-separated), or followed from the --publish-service
// Service's own status.loadBalancer.ingress (the cloud load balancer in front of Tideway), read
// periodically by the leader. With neither flag no status is written.
import { isIP } from 'node:net';
import type { CoreV1Api, V1Service } from '@kubernetes/client-node';
import type { ClientNode } from '../kube/client.ts';
import { apiCallOptions, attempt } from './api-call.ts';
import { ProblemLog, type StatusLog } from './problem-log.ts';
import { jittered, pause } from './timing.ts';

/** One entry of status.loadBalancer.ingress, as Tideway writes it. */
export interface LoadBalancerAddress {
  ip?: string;
  hostname?: string;
  /** Never written by Tideway; read from others' statuses, so that one with ports never looks like ours. */
  ports?: unknown;
}

export class PublishConfigError extends Error {
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(`--${flag}: ${message}`);
    this.name = 'PublishConfigError';
    this.flag = flag;
  }
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** "192.0.2.10, lb.example.com" -> [{ ip }, { hostname }]; anything else is a PublishConfigError. */
export function parsePublishAddress(text: string): LoadBalancerAddress[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new PublishConfigError('publish-address', 'is empty; give an IP address or a hostname');
  return parts.map((part) => {
    if (isIP(part)) return { ip: part };
    if (HOSTNAME.test(part.toLowerCase())) return { hostname: part.toLowerCase() };
    throw new PublishConfigError('publish-address', `"${part}" is neither an IP address nor a DNS hostname`);
  });
}

/**
 * What a Service offers as its external address: its load balancer's ingress entries, else its
 * spec.externalIPs, else nothing (a ClusterIP or NodePort Service has no address worth publishing).
 */
export function serviceAddresses(service: V1Service): LoadBalancerAddress[] {
  const fromStatus = (service.status?.loadBalancer?.ingress ?? [])
    .map((e) => ({ ...(e.ip ? { ip: e.ip } : {}), ...(e.hostname ? { hostname: e.hostname } : {}) }))
    .filter((e) => e.ip !== undefined || e.hostname !== undefined);
  if (fromStatus.length > 0) return fromStatus;
  return (service.spec?.externalIPs ?? []).map((ip) => ({ ip }));
}

/** A canonical text of an address list, to compare lists (order as given, fields in one order). */
export function addressKey(addresses: readonly LoadBalancerAddress[]): string {
  return JSON.stringify(addresses.map((a) => [a.ip ?? '', a.hostname ?? '', a.ports ?? null]));
}

export interface AddressSource {
  /** undefined until known (the Service was not read yet). */
  readonly current: LoadBalancerAddress[] | undefined;
  /** Called while leader: `term` ends it. */
  lead(term: AbortSignal): void;
  onChange(listener: () => void): void;
}

export class FixedAddress implements AddressSource {
  readonly current: LoadBalancerAddress[];
  constructor(addresses: LoadBalancerAddress[]) {
    this.current = addresses;
  }
  lead(): void {}
  onChange(): void {}
}

export interface ServiceAddressOptions {
  k8s: ClientNode;
  api: CoreV1Api;
  /** "namespace/name" */
  service: string;
  intervalMs: number;
  callTimeoutMs: number;
  log: StatusLog;
}

/** Follows a Service's address: read when leadership starts, then every intervalMs while leading. */
export class ServiceAddress implements AddressSource {
  private readonly o: ServiceAddressOptions;
  private readonly problems: ProblemLog;
  private readonly listeners: (() => void)[] = [];
  current: LoadBalancerAddress[] | undefined;

  constructor(options: ServiceAddressOptions) {
    this.o = options;
    this.problems = new ProblemLog(options.log);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  lead(term: AbortSignal): void {
    this.poll(term).catch((error) => this.o.log('error', `--publish-service ${this.o.service}: polling stopped: ${(error as Error).stack ?? error}`));
  }

  private async poll(term: AbortSignal): Promise<void> {
    const [namespace, name] = this.o.service.split('/') as [string, string];
    const topic = `--publish-service ${this.o.service}`;
    while (!term.aborted) {
      const read = await attempt(() => this.o.api.readNamespacedService({ name, namespace },
        apiCallOptions(this.o.k8s, { timeoutMs: this.o.callTimeoutMs, signal: term })));
      if (term.aborted) return;
      if (read.ok) {
        this.problems.resolved(topic);
        const next = serviceAddresses(read.value);
        if (next.length === 0) this.problems.problem(`${topic} address`, 'the Service has no load balancer address or externalIPs yet; Ingress status stays empty');
        else this.problems.resolved(`${topic} address`);
        if (this.current === undefined || addressKey(next) !== addressKey(this.current)) {
          this.current = next;
          this.o.log('info', `publishing ${next.map((a) => a.ip ?? a.hostname).join(', ') || 'no address'} in Ingress status (from Service ${this.o.service})`);
          for (const listener of this.listeners) listener();
        }
      } else {
        // The last known address stays in use: a Service that cannot be read has not moved.
        this.problems.problem(topic, `cannot read the Service: ${read.error.message}`);
      }
      await pause(jittered(this.o.intervalMs), term);
    }
  }
}
