// Discovery documents (/api, /apis, /apis/{group}, /{prefix}/{version}, /version) built from the
// resource table, so generic clients (KubernetesObjectApi) can map kinds to resources.
import type { JsonObject, ResourceDef } from './resources.ts';

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function groupVersions(resources: readonly ResourceDef[]): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const r of resources) {
    if (!r.group) continue;
    if (!groups.has(r.group)) groups.set(r.group, new Set());
    groups.get(r.group)!.add(r.version);
  }
  return groups;
}

function apiGroup(name: string, versions: Set<string>): JsonObject {
  const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function discoveryDocument(path: string, resources: readonly ResourceDef[], serverAddress: string): JsonObject | undefined {
  if (path === '/version') {
    return {
      major: '1', minor: '36', gitVersion: 'v1.36.2', gitCommit: 'test', gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.25.0', compiler: 'gc', platform: 'linux/amd64',
    };
  }
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  const groups = groupVersions(resources);
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => apiGroup(name, versions)) };
  }
  const group = /^\/apis\/([^/]+)$/.exec(path);
  if (group) {
    const versions = groups.get(group[1]!);
    return versions && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group[1]!, versions) };
  }
  const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!gv) return undefined;
  const [groupName, version] = gv[1] ? ['', gv[1]] : [gv[2]!, gv[3]!];
  const served = resources.filter((r) => r.group === groupName && r.version === version);
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupName ? `${groupName}/${version}` : version,
    resources: served.flatMap((r) => [
      { name: r.plural, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS },
      ...(r.statusSubresource ? [{ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ]),
  };
}
