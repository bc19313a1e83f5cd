// Readers for objects whose shape is not guaranteed. The types in kube/types.ts describe valid
// objects, but translate() also receives whatever a manifest file held, and must never throw: every
// field it walks is read through these guards first.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field of a record, or undefined when `value` is not a record. */
export function field(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

export function stringField(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === 'string' ? v : undefined;
}

export function arrayField(value: unknown, name: string): readonly unknown[] {
  const v = field(value, name);
  return Array.isArray(v) ? v : [];
}

/** A record of string values (labels, annotations, Secret data); non-string entries are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

/** True when a Kubernetes optional field is unset (absent, null, or the empty string). */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}
