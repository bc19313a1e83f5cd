// translate() over objects as manifest files give them: normalized (CRD defaults filled in) and
// gathered into a state, as the files source does. Routes and diagnostics flattened for assertions.
import type { AnyKubeObject } from '../../src/kube/types.ts';
import { normalizeObject } from '../../src/store/index.ts';
import { buildClusterState } from '../../src/store/snapshot.ts';
import { translate } from '../../src/translate/index.ts';

export function translateManifests(objects: (AnyKubeObject | Record<string, unknown>)[]) {
  const normalized = objects.map((o) => normalizeObject(o).object!);
  const state = buildClusterState(new Map([['test', { objects: new Map(normalized.map((o, i) => [String(i), o])), diagnostics: [] }]]));
  const result = translate(state);
  const routes = result.table.hosts.flatMap((h) => h.routes);
  const problems = result.diagnostics.map((d) => `${d.kind} ${d.object} ${d.field} ${d.reason}`);
  return { ...result, routes, problems };
}
