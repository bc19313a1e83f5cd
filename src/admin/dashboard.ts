// The dashboard: static files (no build step) served on the admin port at / and /dashboard. The page
// itself polls the admin API (dashboard/app.js).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdminResponse, AdminServer } from './server.ts';

// Resolved against the package root rather than this module: from src/admin/dashboard.ts and from
// the compiled dist/admin/dashboard.js alike, "../../src/admin/dashboard/" is the source folder, which
// the build does not copy (tsc only emits .ts files).
const ASSETS = new URL('../../src/admin/dashboard/', import.meta.url);

const FILES: readonly { paths: string[]; file: string; contentType: string }[] = [
  { paths: ['/', '/dashboard', '/dashboard/'], file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { paths: ['/dashboard/app.js'], file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  { paths: ['/dashboard/style.css'], file: 'style.css', contentType: 'text/css; charset=utf-8' },
];

export class DashboardAssetsError extends Error {
  constructor(file: string, cause: unknown) {
    super(`dashboard file ${file} cannot be read: ${(cause as Error).message}`);
    this.name = 'DashboardAssetsError';
  }
}

/** Reads the files once and mounts them. Throws DashboardAssetsError when a file is missing. */
export function mountDashboard(admin: AdminServer): void {
  for (const { paths, file, contentType } of FILES) {
    const path = fileURLToPath(new URL(file, ASSETS));
    let body: Buffer;
    try {
      body = readFileSync(path);
    } catch (error) {
      throw new DashboardAssetsError(path, error);
    }
    const response: AdminResponse = { status: 200, contentType, body };
    for (const p of paths) admin.route(p, () => response);
  }
}
