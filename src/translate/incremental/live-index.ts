// The objects the incremental translator holds, kept up to date change by change, with the lookups
// fragments read through and the EndpointSlices of each Service, read into SliceViews (with their
// diagnostics) when that Service's backends are rebuilt.
import { SERVICE_NAME_LABEL } from '../../kube/constants.ts';
import type { Diagnostic } from '../../kube/diagnostic.ts';
import type { AnyKubeObject, EndpointSlice, Ingress, IngressClass, Middleware, Secret, Service } from '../../kube/types.ts';
import type { Lookups } from '../cluster-index.ts';
import { DiagnosticSink } from '../diagnostics.ts';
import { readEndpointSlice, type SliceView } from '../endpoints.ts';
import { namespaceOf } from '../precedence.ts';
import { stringMap } from '../shape.ts';

export interface ReadSlice {
  view: SliceView | null;
  diagnostics: Diagnostic[];
}

/**
 * Read again each time its Service's backends are rebuilt (that is, when its slices change): keeping
 * the views would cost as much memory as the endpoints themselves (~7 MB at 50,000 endpoints).
 */
function readSlice(slice: EndpointSlice): ReadSlice {
  const sink = new DiagnosticSink();
  const namespace = namespaceOf(slice);
  const view = readEndpointSlice(slice, namespace, sink.for('EndpointSlice', `${namespace}/${slice.metadata.name}`));
  return { view, diagnostics: sink.sorted() };
}

/** "namespace/service" of an EndpointSlice (label kubernetes.io/service-name), or undefined. */
export function serviceOfSlice(slice: EndpointSlice): string | undefined {
  const service = stringMap(slice.metadata.labels)[SERVICE_NAME_LABEL];
  return service ? `${namespaceOf(slice)}/${service}` : undefined;
}


export class LiveIndex implements Lookups {
  readonly ingresses = new Map<string, Ingress>();
  private readonly classes = new Map<string, IngressClass>();
  private classList: IngressClass[] | null = null;
  private readonly services = new Map<string, Service>();
  private readonly secrets = new Map<string, Secret>();
  private readonly middlewares = new Map<string, Middleware>();
  /** Slices by "namespace/service", then by slice name. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** The Service each slice was filed under, by "namespace/slice". */
  private readonly sliceService = new Map<string, string>();

  /** Puts `object` (undefined: removes what `kind`/ref held). Returns the "namespace/service"s whose slices changed. */
  set(kind: AnyKubeObject['kind'], ref: string, object: AnyKubeObject | undefined): string[] {
    switch (kind) {
      case 'Ingress': return update(this.ingresses, ref, object as Ingress | undefined);
      case 'IngressClass':
        this.classList = null;
        return update(this.classes, ref, object as IngressClass | undefined);
      case 'Service': return update(this.services, ref, object as Service | undefined);
      case 'Secret': return update(this.secrets, ref, object as Secret | undefined);
      case 'Middleware': return update(this.middlewares, ref, object as Middleware | undefined);
      case 'EndpointSlice': return this.setSlice(ref, object as EndpointSlice | undefined);
      default: return []; // kinds no Ingress reads (the translator counts them: see complete)
    }
  }

  private setSlice(ref: string, slice: EndpointSlice | undefined): string[] {
    const touched: string[] = [];
    const before = this.sliceService.get(ref);
    if (before !== undefined) {
      touched.push(before);
      const list = this.slices.get(before)!;
      list.delete(ref);
      if (list.size === 0) this.slices.delete(before);
      this.sliceService.delete(ref);
    }
    const after = slice && serviceOfSlice(slice);
    if (slice && after !== undefined) {
      if (after !== before) touched.push(after);
      this.sliceService.set(ref, after);
      let list = this.slices.get(after);
      if (!list) this.slices.set(after, (list = new Map()));
      list.set(ref, slice);
    }
    return touched;
  }

  ingressClass(name: string): IngressClass | undefined {
    return this.classes.get(name);
  }

  ingressClassList(): readonly IngressClass[] {
    this.classList ??= [...this.classes.values()];
    return this.classList;
  }

  service(namespace: string, name: string): Service | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }

  middleware(namespace: string, name: string): Middleware | undefined {
    return this.middlewares.get(`${namespace}/${name}`);
  }

  /** The slices of a Service ("namespace/service"), sorted by name, each read once. */
  slicesOf(service: string): { ref: string; read: ReadSlice }[] {
    const list = this.slices.get(service);
    if (!list) return [];
    return [...list.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ref, slice]) => ({ ref, read: readSlice(slice) }));
  }
}

function update<T>(map: Map<string, T>, ref: string, object: T | undefined): string[] {
  if (object === undefined) map.delete(ref);
  else map.set(ref, object);
  return [];
}

