// Patch formats the API server accepts: JSON merge patch (RFC 7386), strategic merge patch (treated as
// a merge patch: for the kinds served here no list carries a merge key that Tideway relies on) and JSON
// patch (RFC 6902).

import { isDeepStrictEqual } from 'node:util';

export class PatchError extends Error {}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

interface JsonPatchOp { op: string; path: string; value?: unknown; from?: string }

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[], path: string): { parent: any; key: string } {
  let cur: any = doc;
  for (const part of parts.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(part)] : cur?.[part];
    if (cur === undefined || cur === null || typeof cur !== 'object') throw new PatchError(`path ${path}: parent does not exist`);
  }
  return { parent: cur, key: parts[parts.length - 1]! };
}

function get(doc: unknown, path: string): unknown {
  let cur: any = doc;
  for (const part of pointer(path)) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) throw new PatchError(`path ${path} does not exist`);
    cur = cur[part];
  }
  return cur;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new PatchError(`path ${path}: index out of range`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(`path ${path} does not exist`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function add(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!(i >= 0 && i <= parent.length - (replace ? 1 : 0))) throw new PatchError(`path ${path}: index out of range`);
    parent.splice(i, replace ? 1 : 0, structuredClone(value));
  } else {
    if (replace && !(key in parent)) throw new PatchError(`path ${path} does not exist`);
    parent[key] = structuredClone(value);
  }
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops as JsonPatchOp[]) {
    switch (op.op) {
      case 'add': doc = add(doc, op.path, op.value, false); break;
      case 'replace': doc = add(doc, op.path, op.value, true); break;
      case 'remove': remove(doc, op.path); break;
      case 'move': { const v = remove(doc, op.from ?? ''); doc = add(doc, op.path, v, false); break; }
      case 'copy': doc = add(doc, op.path, get(doc, op.from ?? ''), false); break;
      case 'test':
        // Compared as JSON values (key order does not matter), as the real server does.
        if (!isDeepStrictEqual(get(doc, op.path), op.value)) throw new PatchError(`testing value ${op.path} failed`);
        break;
      default: throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
