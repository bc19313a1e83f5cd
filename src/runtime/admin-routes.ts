// Admin endpoints served from the control plane's view (the primary in multi-process mode).
import { json, type AdminServer } from '../admin/server.ts';
import type { ControlPlane } from './control-plane.ts';

export function mountControlApi(admin: AdminServer, control: ControlPlane): void {
  admin.route('/api/routes', () => json(200, control.currentSpec));
  admin.route('/api/diagnostics', () => json(200, { version: control.currentVersion, diagnostics: control.currentDiagnostics }));
}
