// An Ingress path entry -> the kind and path the matcher uses, with the API server's validation.
// pathType ImplementationSpecific is a Regex when the Ingress has tideway.dev/use-regex "true",
// and a Prefix otherwise (ingress-nginx's default).
import type { PathKind } from '../routing/spec.ts';
import { compilePathRegex } from '../routing/path-regex.ts';
import { prefixKey } from '../routing/path-tree.ts';

export interface ResolvedPath {
  kind: PathKind;
  path: string;
  /** Two paths of one host with the same key match the same requests: only one can be served. */
  conflictKey: string;
}

export interface PathProblem {
  /** "path" or "pathType", relative to the path entry. */
  field: 'path' | 'pathType';
  reason: string;
  message: string;
}

const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'];
// Rejected by the API server in Exact and Prefix paths (k8s.io/kubernetes networking validation).
const INVALID_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_SUFFIXES = ['/..', '/.'];

function problem(field: PathProblem['field'], reason: string, message: string): PathProblem {
  return { field, reason, message };
}

function resolved(kind: PathKind, path: string): ResolvedPath {
  return { kind, path, conflictKey: `${kind} ${kind === 'Prefix' ? prefixKey(path) : path}` };
}

export function resolvePath(rawPath: unknown, pathType: unknown, useRegex: boolean): ResolvedPath | PathProblem {
  if (pathType === undefined || pathType === null || pathType === '') {
    return problem('pathType', 'MissingPathType', 'pathType is required: Exact, Prefix or ImplementationSpecific');
  }
  if (typeof pathType !== 'string' || !PATH_TYPES.includes(pathType)) {
    return problem('pathType', 'InvalidPathType', `unsupported pathType ${JSON.stringify(pathType)}: use Exact, Prefix or ImplementationSpecific`);
  }
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    return problem('path', 'InvalidPath', `path must be a string, not ${JSON.stringify(rawPath)}`);
  }
  const path = rawPath ?? '';

  if (pathType === 'ImplementationSpecific') {
    // An empty path means "/" (ingress-nginx), whatever the mode.
    if (path === '') return resolved('Prefix', '/');
    if (useRegex) {
      try {
        compilePathRegex(path);
      } catch (err) {
        return problem('path', 'InvalidRegex', `invalid regular expression ${JSON.stringify(path)}: ${(err as Error).message}`);
      }
      return resolved('Regex', path);
    }
    if (!path.startsWith('/')) return problem('path', 'InvalidPath', `path ${JSON.stringify(path)} must be an absolute path (start with "/")`);
    return resolved('Prefix', path);
  }

  if (!path.startsWith('/')) {
    return problem('path', 'InvalidPath', path === '' ? `path is required with pathType ${pathType}` : `path ${JSON.stringify(path)} must be an absolute path (start with "/")`);
  }
  const sequence = INVALID_SEQUENCES.find((s) => path.includes(s));
  if (sequence) return problem('path', 'InvalidPath', `path ${JSON.stringify(path)} must not contain "${sequence}"`);
  const suffix = INVALID_SUFFIXES.find((s) => path.endsWith(s));
  if (suffix) return problem('path', 'InvalidPath', `path ${JSON.stringify(path)} must not end with "${suffix}"`);
  return resolved(pathType as 'Exact' | 'Prefix', path);
}

export function isPathProblem(value: ResolvedPath | PathProblem): value is PathProblem {
  return 'reason' in value;
}
