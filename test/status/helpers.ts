// Shared pieces for the status tests: replicas started against the API test server through the real
// client library, short lease timings, a TCP relay that can cut one replica off the API server, and
// bounded polling.
import net from 'node:net';
import type { TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startStatus, type StatusHandle, type StatusSettings, type StatusTiming } from '../../src/status/index.ts';
import type { StatusLog, StatusLogLevel } from '../../src/status/index.ts';
import type { KubeApiServer, JsonObject } from '../support/kube-api/index.ts';

/**
 * A 3 s lease: the leader renews every 300 ms and steps down 2 s after its last renewal; followers
 * look every 200 ms. Everything else is fast too, so that takeovers play out in a few seconds. A call
 * may take 1.5 s: on a loaded machine a shorter deadline made writes that did land look failed (and
 * be written again), and renewals miss.
 */
export const FAST_STATUS: Partial<StatusTiming> = {
  leaseDurationMs: 3000,
  renewDeadlineMs: 2000,
  renewIntervalMs: 300,
  retryIntervalMs: 200,
  callTimeoutMs: 1500,
  publishServiceIntervalMs: 100,
  retryInitialMs: 50,
  retryMaxMs: 300,
  statusQps: 200,
  statusBurst: 200,
  eventQps: 200,
  eventBurst: 200,
};

export const NS = 'shop';

export interface LogRecord { level: StatusLogLevel; msg: string; fields?: Record<string, unknown> }

export function captureLog(): { log: StatusLog; records: LogRecord[]; messages(level?: StatusLogLevel): string[] } {
  const records: LogRecord[] = [];
  return {
    records,
    log: (level, msg, fields) => { records.push({ level, msg, ...(fields ? { fields } : {}) }); },
    messages: (level) => records.filter((r) => level === undefined || r.level === level).map((r) => r.msg),
  };
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

export function kubeConfig(server: KubeApiServer, options: { token?: string; url?: string } = {}): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const text = server.kubeconfig({ ...(options.token ? { token: options.token } : {}) });
  kc.loadFromString(options.url ? text.replace(server.url, options.url) : text);
  return kc;
}

export const SETTINGS: StatusSettings = {
  ingressClass: 'tideway',
  publishService: undefined,
  publishAddress: '192.0.2.10',
  leaderElectionNamespace: 'tideway',
  watchNamespaces: [],
};

export interface Replica {
  identity: string;
  handle: StatusHandle;
  logs: ReturnType<typeof captureLog>;
}

export async function startReplica(t: TestContext, server: KubeApiServer, identity: string, options: {
  settings?: Partial<StatusSettings>; timing?: Partial<StatusTiming>; token?: string; url?: string;
} = {}): Promise<Replica> {
  const logs = captureLog();
  const handle = await startStatus({
    kubeConfig: kubeConfig(server, options),
    settings: { ...SETTINGS, ...options.settings },
    log: logs.log,
    identity,
    timing: { ...FAST_STATUS, ...options.timing },
  });
  t.after(() => handle.close());
  return { identity, handle, logs };
}

export function lease(server: KubeApiServer, name = 'tideway-tideway', namespace = 'tideway'): JsonObject | undefined {
  return server.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name });
}

export function ingress(name: string, namespace = NS): JsonObject {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace },
    spec: { ingressClassName: 'tideway', rules: [{ host: `${name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
}

export function ingressStatus(server: KubeApiServer, name: string, namespace = NS): unknown {
  return server.get({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace, name })?.status?.loadBalancer?.ingress;
}

export function events(server: KubeApiServer, namespace?: string): JsonObject[] {
  return server.list('v1', 'Event', namespace);
}

/**
 * A TCP relay in front of the API server for one replica: `partition()` makes it swallow traffic
 * (connections open but nothing passes, the worst case: calls hang until their deadline), `heal()`
 * passes traffic again on new connections.
 */
export class Relay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private partitioned = false;
  port = 0;

  constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => {});
      if (this.partitioned) return; // held open, never answered
      const upstream = net.connect(targetPort, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Cuts every open connection; new ones are accepted and then ignored. */
  partition(): void {
    this.partitioned = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.partitioned = false;
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
