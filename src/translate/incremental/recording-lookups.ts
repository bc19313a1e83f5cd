// Lookups that note what was looked up: the objects a fragment depends on, by objectKey() ("Service/
// shop/web"), including the ones that were not found (their creation must rebuild the fragment too).
import { objectKey, type IngressClass, type Middleware, type Secret, type Service } from '../../kube/types.ts';
import type { Lookups } from '../cluster-index.ts';

/** What a fragment that scanned every IngressClass (for the default class) depends on. */
export const EVERY_INGRESS_CLASS = 'IngressClass/*';

export class RecordingLookups implements Lookups {
  private readonly inner: Lookups;
  private readonly reads: Set<string>;

  constructor(inner: Lookups, reads: Set<string>) {
    this.inner = inner;
    this.reads = reads;
  }

  ingressClass(name: string): IngressClass | undefined {
    this.reads.add(objectKey('IngressClass', undefined, name));
    return this.inner.ingressClass(name);
  }

  ingressClassList(): readonly IngressClass[] {
    this.reads.add(EVERY_INGRESS_CLASS);
    return this.inner.ingressClassList();
  }

  service(namespace: string, name: string): Service | undefined {
    this.reads.add(objectKey('Service', namespace, name));
    return this.inner.service(namespace, name);
  }

  secret(namespace: string, name: string): Secret | undefined {
    this.reads.add(objectKey('Secret', namespace, name));
    return this.inner.secret(namespace, name);
  }

  middleware(namespace: string, name: string): Middleware | undefined {
    this.reads.add(objectKey('Middleware', namespace, name));
    return this.inner.middleware(namespace, name);
  }
}
