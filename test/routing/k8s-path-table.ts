// The examples table of the Kubernetes Ingress documentation ("Examples" under "Path types"), row
// by row. `expect` is the path (and kind) that serves the request, or null when none does (the
// request goes to the default backend).
import type { PathKind } from '../../src/routing/spec.ts';

export interface PathTableRow {
  paths: { kind: Exclude<PathKind, 'Regex'>; path: string }[];
  requests: string[];
  expect: { kind: Exclude<PathKind, 'Regex'>; path: string } | null;
}

const P = (path: string) => ({ kind: 'Prefix' as const, path });
const E = (path: string) => ({ kind: 'Exact' as const, path });

export const K8S_PATH_TABLE: PathTableRow[] = [
  { paths: [P('/')], requests: ['/', '/foo', '/foo/bar', '/foo/bar/', '/a.b'], expect: P('/') },
  { paths: [E('/foo')], requests: ['/foo'], expect: E('/foo') },
  { paths: [E('/foo')], requests: ['/bar'], expect: null },
  { paths: [E('/foo')], requests: ['/foo/'], expect: null },
  { paths: [E('/foo/')], requests: ['/foo'], expect: null },
  { paths: [P('/foo')], requests: ['/foo', '/foo/'], expect: P('/foo') },
  { paths: [P('/foo/')], requests: ['/foo', '/foo/'], expect: P('/foo/') },
  { paths: [P('/aaa/bb')], requests: ['/aaa/bbb'], expect: null },
  { paths: [P('/aaa/bbb')], requests: ['/aaa/bbb'], expect: P('/aaa/bbb') },
  { paths: [P('/aaa/bbb/')], requests: ['/aaa/bbb'], expect: P('/aaa/bbb/') },
  { paths: [P('/aaa/bbb')], requests: ['/aaa/bbb/'], expect: P('/aaa/bbb') },
  { paths: [P('/aaa/bbb')], requests: ['/aaa/bbb/ccc'], expect: P('/aaa/bbb') },
  { paths: [P('/aaa/bbb')], requests: ['/aaa/bbbxyz'], expect: null },
  { paths: [P('/'), P('/aaa')], requests: ['/aaa/ccc'], expect: P('/aaa') },
  { paths: [P('/'), P('/aaa'), P('/aaa/bbb')], requests: ['/aaa/bbb'], expect: P('/aaa/bbb') },
  { paths: [P('/'), P('/aaa'), P('/aaa/bbb')], requests: ['/ccc'], expect: P('/') },
  { paths: [P('/aaa')], requests: ['/ccc'], expect: null },
  { paths: [P('/foo'), E('/foo')], requests: ['/foo'], expect: E('/foo') },
];
