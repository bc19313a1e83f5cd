// Which namespaces a Gateway admits objects from: a listener's routes (allowedRoutes.namespaces) and
// the Gateway's ListenerSets (allowedListeners.namespaces). `from` is Same, All, None or Selector; a
// selector is matched against the labels of the Namespace object. A namespace without a Namespace
// object (manifest files name namespaces without defining them) has only the label the API server puts
// on every namespace, kubernetes.io/metadata.name.
import type { Namespace } from '../../kube/types.ts';
import { readLabelSelector, type LabelSelector, type Labels } from '../label-selector.ts';
import { field } from '../shape.ts';

export type NamespaceFrom = 'Same' | 'All' | 'None' | 'Selector';

export type NamespaceFilter =
  | { from: 'Same' | 'All' | 'None' }
  | { from: 'Selector'; selector: LabelSelector };

const NAME_LABEL = 'kubernetes.io/metadata.name';

export class NamespaceLabels {
  private readonly labels = new Map<string, Labels>();

  constructor(namespaces: readonly Namespace[]) {
    for (const ns of namespaces) this.labels.set(ns.metadata.name, ns.metadata.labels ?? {});
  }

  labelsOf(namespace: string): Labels {
    return this.labels.get(namespace) ?? { [NAME_LABEL]: namespace };
  }

  /** Whether `filter`, written in namespace `owner`, admits an object of `namespace`. */
  admits(filter: NamespaceFilter, owner: string, namespace: string): boolean {
    switch (filter.from) {
      case 'All': return true;
      case 'Same': return namespace === owner;
      case 'None': return false;
      case 'Selector': return filter.selector.matches(this.labelsOf(namespace));
    }
  }
}

/** Why a `namespaces` stanza cannot be honoured: the field under it and the message. */
export interface FilterProblem {
  field: string;
  message: string;
}

/**
 * Reads `{from, selector}` (allowedRoutes.namespaces or allowedListeners.namespaces). `allowed` are the
 * values of `from` the field takes; `fallback` is its default. A problem admits nothing (fails closed).
 */
export function readNamespaceFilter(raw: unknown, allowed: readonly NamespaceFrom[], fallback: NamespaceFrom): NamespaceFilter | FilterProblem {
  const from = field(raw, 'from') ?? fallback;
  if (typeof from !== 'string' || !(allowed as readonly string[]).includes(from)) {
    return { field: '.from', message: `must be ${allowed.join(', ')}, not ${JSON.stringify(from)}` };
  }
  if (from !== 'Selector') return { from: from as 'Same' | 'All' | 'None' };
  const selector = readLabelSelector(field(raw, 'selector'));
  if ('field' in selector) return { field: `.selector${selector.field}`, message: selector.message };
  return { from, selector };
}
