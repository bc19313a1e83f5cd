// How many replicas of Tideway itself are ready: the ready endpoints of the EndpointSlices of its own
// Service (--publish-service). A "cluster" rate limit divides its budget by this number. Pods are
// counted once even when they appear in several slices (dual-stack, or one slice per port set): by
// their targetRef when it is set, else by address.
import type { EndpointSlice } from '../kube/types.ts';
import { SERVICE_NAME_LABEL } from '../kube/constants.ts';

/** Ready replicas behind `service` ("namespace/name"), or null when its EndpointSlices are not known. */
export function readyReplicas(endpointSlices: readonly EndpointSlice[], service: string): number | null {
  const slash = service.indexOf('/');
  const namespace = service.slice(0, slash);
  const name = service.slice(slash + 1);
  const pods = new Set<string>();
  let found = false;
  for (const slice of endpointSlices) {
    if (slice.metadata.namespace !== namespace || slice.metadata.labels?.[SERVICE_NAME_LABEL] !== name) continue;
    found = true;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue; // unset counts as ready, per the API
      const ref = endpoint.targetRef;
      pods.add(ref?.name !== undefined ? `${ref.kind ?? 'Pod'}/${ref.namespace ?? namespace}/${ref.name}` : endpoint.addresses[0] ?? '');
    }
  }
  return found ? pods.size : null;
}
