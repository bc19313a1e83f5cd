// The whole gateway in one process (`--workers 1`, and what tests start): the control plane publishes
// each new route table straight into the local data plane. Requests in flight keep the route (and
// backend runtime) they matched, so a swap never disturbs them.
import type { Logger } from 'pino';
import type { Settings } from '../settings/settings.ts';
import type { Diagnostic } from '../kube/diagnostic.ts';
import type { RouteTable } from '../routing/index.ts';
import type { RouteRuntime } from '../proxy/route-runtime.ts';
import type { RequestObserver } from '../proxy/observer.ts';
import type { ObjectStore } from '../store/index.ts';
import type { UpstreamRegistry } from '../upstream/registry.ts';
import { AdminServer } from '../admin/server.ts';
import { ControlPlane } from './control-plane.ts';
import { DataPlane } from './data-plane.ts';
import { mountControlApi } from './admin-routes.ts';

export interface GatewayOptions {
  settings: Settings;
  logger: Logger;
  observer?: RequestObserver;
}

export interface ListeningPorts {
  http: number;
  /** The TLS port, when --https-port is set. */
  https: number | null;
  admin: number;
}

export class Gateway {
  readonly settings: Settings;
  readonly control: ControlPlane;
  readonly data: DataPlane;
  readonly admin: AdminServer;
  /** Set once start() has bound the listeners. */
  ports: ListeningPorts | null = null;

  constructor(options: GatewayOptions) {
    this.settings = options.settings;
    this.data = new DataPlane({ settings: options.settings, logger: options.logger, ...(options.observer ? { observer: options.observer } : {}) });
    this.control = new ControlPlane(options.settings, options.logger, (spec) => this.data.serve(spec));
    this.admin = new AdminServer(this.control);
    mountControlApi(this.admin, this.control);
  }

  get store(): ObjectStore {
    return this.control.store;
  }

  get snapshot(): { table: RouteTable<RouteRuntime> } {
    return this.data.snapshot;
  }

  get registry(): UpstreamRegistry {
    return this.data.registry;
  }

  get currentDiagnostics(): readonly Diagnostic[] {
    return this.control.currentDiagnostics;
  }

  /** Starts listeners and the source; resolves once listening (readiness follows the first snapshot). */
  async start(): Promise<ListeningPorts> {
    const s = this.settings;
    const admin = await this.admin.listen(s.adminPort, s.adminAddress);
    const { http, https } = await this.data.listen();
    await this.control.start();
    this.ports = { http, https, admin };
    return this.ports;
  }

  /** Readiness fails at once; in-flight requests get up to drainTimeoutMs; then everything closes. */
  async stop(drainTimeoutMs = this.settings.drainTimeoutMs): Promise<void> {
    await this.control.stop();
    await this.data.drain(drainTimeoutMs);
    await this.admin.close();
  }
}
