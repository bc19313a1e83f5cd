// Collects the diagnostics of one translation. Objects report through an ObjectDiagnostics bound to
// their kind and name, so call sites only say which field is wrong and why.
import type { Diagnostic, Severity } from '../kube/diagnostic.ts';

export interface ObjectDiagnostics {
  readonly kind: string;
  /** "namespace/name" */
  readonly object: string;
  error(field: string, reason: string, message: string): void;
  warning(field: string, reason: string, message: string): void;
}

export class DiagnosticSink {
  private readonly items: Diagnostic[] = [];

  for(kind: string, object: string): ObjectDiagnostics {
    const report = (severity: Severity, field: string, reason: string, message: string): void => {
      this.items.push({ severity, kind, object, field, message, reason });
    };
    return {
      kind,
      object,
      error: (field, reason, message) => report('error', field, reason, message),
      warning: (field, reason, message) => report('warning', field, reason, message),
    };
  }

  /** Grouped by kind and object (sorted), each object's diagnostics in the order they were found. */
  sorted(): Diagnostic[] {
    const key = (d: Diagnostic): string => `${d.kind}\u0000${d.object}`;
    return this.items
      .map((d, i) => ({ d, i, k: key(d) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
      .map(({ d }) => d);
  }
}
