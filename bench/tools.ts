// The external programs the harness drives, and their Debian packages. Missing ones are installed with
// apt-get (the harness runs as root on the benchmark machine); `apt-get update` only if that fails.
import { spawnSync } from 'node:child_process';

export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  wrk: 'wrk',
  nginx: 'nginx-light',
  h2load: 'nghttp2-client',
  openssl: 'openssl',
  taskset: 'util-linux',
  valgrind: 'valgrind',
  callgrind_control: 'valgrind',
};

export class ToolInstallError extends Error {
  readonly packages: readonly string[];
  constructor(packages: readonly string[], detail: string) {
    super(`could not install ${packages.join(', ')}: ${detail}`);
    this.name = 'ToolInstallError';
    this.packages = packages;
  }
}

const resolved = new Map<string, string>();

/** Absolute path of a tool, or undefined. nginx lives in /usr/sbin, which a non-login PATH may lack. */
function lookUp(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `PATH="$PATH:/usr/sbin:/sbin" command -v "$1"`, 'sh', tool], { encoding: 'utf8' });
  const path = r.stdout?.trim();
  return r.status === 0 && path ? path : undefined;
}

export function isInstalled(tool: string): boolean {
  return lookUp(tool) !== undefined;
}

/** Absolute path of an installed tool (call ensureTools first). */
export function toolPath(tool: string): string {
  let path = resolved.get(tool);
  if (path === undefined) {
    path = lookUp(tool);
    if (path === undefined) throw new Error(`${tool} is not installed (Debian package ${TOOL_PACKAGES[tool] ?? tool})`);
    resolved.set(tool, path);
  }
  return path;
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Installs whatever of `tools` is missing; returns the packages it installed. */
export function ensureTools(tools: readonly string[], log: (line: string) => void): string[] {
  const missing = tools.filter((t) => !isInstalled(t));
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))];
  if (process.getuid?.() !== 0) throw new ToolInstallError(packages, 'not root; install them with apt-get first');
  log(`installing ${packages.join(', ')} with apt-get`);
  let install = aptGet(['install', '-y', ...packages]);
  if (!install.ok) {
    log('apt-get install failed; running apt-get update and retrying');
    const update = aptGet(['update']);
    if (!update.ok) throw new ToolInstallError(packages, `apt-get update failed:\n${update.output.slice(-2000)}`);
    install = aptGet(['install', '-y', ...packages]);
    if (!install.ok) throw new ToolInstallError(packages, install.output.slice(-2000));
  }
  const stillMissing = missing.filter((t) => !isInstalled(t));
  if (stillMissing.length > 0) throw new ToolInstallError(packages, `still not on PATH after install: ${stillMissing.join(', ')}`);
  return packages;
}
