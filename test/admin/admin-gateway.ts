// A test gateway with the observability wiring the runtime does in production (docs/admin-api.md):
// GatewayMetrics as the request observer, the /api handlers, /metrics and the dashboard on its admin port.
import { startGateway, type RunningGateway } from '../support/gateway.ts';
import { GatewayMetrics } from '../../src/observability/index.ts';
import { metricsHandler, mountAdminApi, mountDashboard } from '../../src/admin/index.ts';

export interface AdminGateway extends RunningGateway {
  metrics: GatewayMetrics;
  /** GET on the admin port. */
  admin(path: string): Promise<{ status: number; contentType: string; body: string }>;
  adminJson<T = Record<string, unknown>>(path: string): Promise<T>;
}

export async function startAdminGateway(files: Record<string, string>): Promise<AdminGateway> {
  const metrics = new GatewayMetrics();
  const running = await startGateway(files, [], metrics);
  const { gateway } = running;
  metrics.onSnapshot(gateway.snapshot.table.version, 1);
  mountAdminApi(gateway.admin, { spec: () => gateway.control.currentSpec, explainTable: () => gateway.control.explainTable, diagnostics: () => gateway.currentDiagnostics, stats: () => metrics.stats() });
  mountDashboard(gateway.admin);
  gateway.admin.route('/metrics', metricsHandler(metrics, 'single'));
  const admin = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${running.adminPort}${path}`);
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
  };
  return {
    ...running,
    metrics,
    admin,
    async adminJson<T>(path: string): Promise<T> {
      const response = await admin(path);
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.body}`);
      return JSON.parse(response.body) as T;
    },
  };
}
