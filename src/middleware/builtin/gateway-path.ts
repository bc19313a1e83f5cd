// Path modifiers of the Gateway API's RequestRedirect and URLRewrite filters.
import type { PathModifier } from '../config/gateway.ts';

function trimSlash(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(0, end);
}

/**
 * The new path (without query) for `pathname`. ReplacePrefixMatch follows the spec's table: the matched
 * prefix and the replacement are compared without trailing slash, what followed the prefix is kept
 * ("/foo" + "/xyz": "/foo/bar" -> "/xyz/bar", "/foo/" -> "/xyz/"; with "/": "/foo/bar" -> "/bar").
 */
export function modifyPath(pathname: string, modifier: PathModifier): string {
  if (modifier.type === 'ReplaceFullPath') return modifier.value;
  const prefix = trimSlash(modifier.prefix);
  const rest = pathname.slice(Math.min(prefix.length, pathname.length));
  const replaced = trimSlash(modifier.value) + rest;
  return replaced === '' ? '/' : replaced;
}

/** Splits a request target into its path and its query ("?..." or ""). */
export function splitTarget(target: string): { pathname: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { pathname: target, query: '' } : { pathname: target.slice(0, q), query: target.slice(q) };
}
