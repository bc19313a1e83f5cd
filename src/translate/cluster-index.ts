// Lookups over a ClusterState by namespace and name, built once per translation. Entries without a
// usable metadata.name are left out (the sources report those), and arrays are sorted here so that
// the result does not depend on the order the source delivered them in.
import { SERVICE_NAME_LABEL } from '../kube/constants.ts';
import type { Ingress, IngressClass, KubeObject, Middleware, Secret, Service } from '../kube/types.ts';
import type { ClusterState } from '../store/cluster-state.ts';
import type { DiagnosticSink } from './diagnostics.ts';
import { readEndpointSlice, type SliceView } from './endpoints.ts';
import { compareByName, namespaceOf } from './precedence.ts';
import { field, isRecord, stringMap } from './shape.ts';

function isNamed<T extends KubeObject>(value: unknown): value is T {
  const name = field(field(value, 'metadata'), 'name');
  return isRecord(value) && typeof name === 'string' && name !== '';
}

/** Named objects of a list, sorted by namespace/name; a list that is not an array is empty. */
function named<T extends KubeObject>(list: unknown): T[] {
  return Array.isArray(list) ? list.filter(isNamed<T>).sort(compareByName as (a: T, b: T) => number) : [];
}

/** Map by "namespace/name"; the first of duplicates wins. */
function byRef<T extends KubeObject>(objects: readonly T[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const obj of objects) {
    const key = `${namespaceOf(obj)}/${obj.metadata.name}`;
    if (!map.has(key)) map.set(key, obj);
  }
  return map;
}

/**
 * What translating one object may look up in the others. Every read goes through here, so that the
 * incremental translator can record what each object's translation depends on (see incremental/).
 */
export interface Lookups {
  ingressClass(name: string): IngressClass | undefined;
  /** Every IngressClass, in no particular order. */
  ingressClassList(): readonly IngressClass[];
  service(namespace: string, name: string): Service | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  middleware(namespace: string, name: string): Middleware | undefined;
}

export class ClusterIndex implements Lookups {
  /** Sorted by namespace/name. */
  readonly ingresses: readonly Ingress[];
  /** Sorted by name. */
  readonly ingressClasses: readonly IngressClass[];
  private readonly classesByName = new Map<string, IngressClass>();
  private readonly services: Map<string, Service>;
  private readonly secrets: Map<string, Secret>;
  private readonly middlewares: Map<string, Middleware>;
  /** Raw slices by "namespace/service", read into SliceViews on first use. */
  private readonly rawSlices = new Map<string, KubeObject[]>();
  private readonly sliceViews = new Map<string, SliceView[]>();
  private readonly sink: DiagnosticSink;

  constructor(state: ClusterState, sink: DiagnosticSink) {
    const s: unknown = state;
    this.sink = sink;
    this.ingresses = named<Ingress>(field(s, 'ingresses'));
    this.ingressClasses = named<IngressClass>(field(s, 'ingressClasses'));
    for (const c of this.ingressClasses) if (!this.classesByName.has(c.metadata.name)) this.classesByName.set(c.metadata.name, c);
    this.services = byRef(named<Service>(field(s, 'services')));
    this.secrets = byRef(named<Secret>(field(s, 'secrets')));
    this.middlewares = byRef(named<Middleware>(field(s, 'middlewares')));
    for (const slice of named<KubeObject>(field(s, 'endpointSlices'))) {
      const service = stringMap(slice.metadata.labels)[SERVICE_NAME_LABEL];
      if (!service) continue;
      const key = `${namespaceOf(slice)}/${service}`;
      const list = this.rawSlices.get(key);
      if (list) list.push(slice);
      else this.rawSlices.set(key, [slice]);
    }
  }

  ingressClass(name: string): IngressClass | undefined {
    return this.classesByName.get(name);
  }

  ingressClassList(): readonly IngressClass[] {
    return this.ingressClasses;
  }

  middleware(namespace: string, name: string): Middleware | undefined {
    return this.middlewares.get(`${namespace}/${name}`);
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }

  /** The usable EndpointSlices of a Service (label kubernetes.io/service-name), sorted by name. */
  slicesOf(namespace: string, service: string): readonly SliceView[] {
    const key = `${namespace}/${service}`;
    let views = this.sliceViews.get(key);
    if (views === undefined) {
      views = [];
      for (const slice of this.rawSlices.get(key) ?? []) {
        const view = readEndpointSlice(slice, namespace, this.sink.for('EndpointSlice', `${namespace}/${slice.metadata.name}`));
        if (view !== null) views.push(view);
      }
      this.sliceViews.set(key, views);
    }
    return views;
  }
}
