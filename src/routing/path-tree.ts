// A radix tree over path characters that answers Exact and Prefix lookups in one walk, without
// allocating: edges are compared in place with startsWith(label, position), children are found by
// character code, and the walk stops at `end` (the start of the query string), so the caller never
// has to slice the request path.

const SLASH = 47;

interface TreeNode<R> {
  /** Characters on the edge from the parent to this node. */
  label: string;
  children: Map<number, TreeNode<R>> | null;
  /** Route for an Exact path that ends at this node. */
  exact: R | null;
  /** Route for a Prefix path (stored without trailing slash) that ends at this node. */
  prefix: R | null;
}

export interface PathTreeMatch<R> {
  exact: R | null;
  /** Longest element-wise Prefix match. */
  prefix: R | null;
}

function newNode<R>(label: string): TreeNode<R> {
  return { label, children: null, exact: null, prefix: null };
}

function commonPrefixLength(label: string, key: string, offset: number): number {
  const max = Math.min(label.length, key.length - offset);
  let i = 0;
  while (i < max && label.charCodeAt(i) === key.charCodeAt(offset + i)) i++;
  return i;
}

/**
 * Prefix semantics follow the Kubernetes Ingress path-type table: a Prefix key "/foo" (written
 * "/foo" or "/foo/") matches "/foo", "/foo/" and "/foo/bar", never "/foobar". The key "" (written
 * "/") matches every path.
 */
export class PathTree<R> {
  private readonly root: TreeNode<R> = newNode('');

  /** Returns false (and keeps the existing route) when the slot is already taken. */
  insert(key: string, slot: 'exact' | 'prefix', route: R): boolean {
    return this.update(key, slot, (existing) => existing ?? route) === route;
  }

  /** Sets the slot of key to merge(current value or null); returns what it stored. */
  update(key: string, slot: 'exact' | 'prefix', merge: (existing: R | null) => R): R {
    let node = this.root;
    let i = 0;
    while (i < key.length) {
      const first = key.charCodeAt(i);
      const children = (node.children ??= new Map());
      let child = children.get(first);
      if (child === undefined) {
        child = newNode<R>(key.slice(i));
        children.set(first, child);
        node = child;
        break;
      }
      const common = commonPrefixLength(child.label, key, i);
      if (common < child.label.length) {
        // The new key leaves this edge part-way: split it at the divergence point.
        const middle = newNode<R>(child.label.slice(0, common));
        child.label = child.label.slice(common);
        middle.children = new Map([[child.label.charCodeAt(0), child]]);
        children.set(first, middle);
        child = middle;
      }
      node = child;
      i += common;
    }
    const merged = merge(node[slot]);
    node[slot] = merged;
    return merged;
  }

  /**
   * Calls visit for every Prefix route with the Prefix route of the longest strictly shorter key that
   * is an element-wise prefix of it ("/a" for "/a/b", "" for "/a"), or null. Compile time only.
   */
  eachPrefixWithParent(visit: (route: R, parent: R | null) => void): void {
    const walk = (node: TreeNode<R>, key: string, ancestors: { key: string; route: R }[]): void => {
      let pushed = false;
      if (node.prefix !== null) {
        let parent: R | null = null;
        for (let i = ancestors.length - 1; i >= 0; i--) {
          const a = ancestors[i]!;
          if (a.key.length === 0 || key.charCodeAt(a.key.length) === SLASH) {
            parent = a.route;
            break;
          }
        }
        visit(node.prefix, parent);
        ancestors.push({ key, route: node.prefix });
        pushed = true;
      }
      if (node.children !== null) for (const child of node.children.values()) walk(child, key + child.label, ancestors);
      if (pushed) ancestors.pop();
    };
    walk(this.root, '', []);
  }

  /**
   * Walks path[0, end). Writes the result into `out` (reused by the caller) rather than returning a
   * fresh object, to keep the request path allocation-free.
   */
  lookup(path: string, end: number, out: PathTreeMatch<R>): void {
    let node = this.root;
    let pos = 0;
    let prefix = node.prefix;
    let walkedAll = true;
    while (pos < end) {
      const child = node.children === null ? undefined : node.children.get(path.charCodeAt(pos));
      if (child === undefined || pos + child.label.length > end || !path.startsWith(child.label, pos)) {
        walkedAll = false;
        break;
      }
      pos += child.label.length;
      node = child;
      // Element-wise: the key must end at a segment boundary of the request path.
      if (node.prefix !== null && (pos === end || path.charCodeAt(pos) === SLASH)) prefix = node.prefix;
    }
    out.exact = walkedAll ? node.exact : null;
    out.prefix = prefix;
  }
}

/** The tree key of a Prefix path: trailing slashes dropped, so "/foo/" and "/foo" are one key and "/" is "". */
export function prefixKey(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === SLASH) end--;
  return path.slice(0, end);
}
