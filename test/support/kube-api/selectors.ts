// Label and field selectors with the real API server's syntax:
//   labels: a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y)   (comma = AND)
//   fields: a=b, a==b, a!=b on a fixed set of field labels per resource.
import type { JsonObject } from './resources.ts';

export type Matcher = (obj: JsonObject) => boolean;

export class SelectorError extends Error {}

const SET_REQUIREMENT = /^\s*(!?)([A-Za-z0-9./_-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function equalityTerm(term: string): { key: string; op: '=' | '!='; value: string } | undefined {
  const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
  if (!m) return undefined;
  return { key: m[1]!.trim(), op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
}

export function parseLabelSelector(selector: string | null): Matcher {
  if (!selector) return () => true;
  const tests: Matcher[] = splitTerms(selector).map((term) => {
    const eq = equalityTerm(term);
    if (eq && !/\s(in|notin)\s*\(/.test(term)) {
      return (obj) => {
        const actual = obj.metadata?.labels?.[eq.key];
        return eq.op === '=' ? actual === eq.value : actual !== eq.value;
      };
    }
    const m = SET_REQUIREMENT.exec(term);
    if (!m) throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
    const [, not, key, op, list] = m;
    if (op) {
      const values = new Set(list!.split(',').map((v) => v.trim()));
      return (obj) => {
        const actual = obj.metadata?.labels?.[key!];
        const inSet = actual !== undefined && values.has(actual);
        return op === 'in' ? inSet : !inSet;
      };
    }
    return (obj) => (obj.metadata?.labels?.[key!] !== undefined) !== (not === '!');
  });
  return (obj) => tests.every((t) => t(obj));
}

function fieldValue(obj: JsonObject, path: string): string {
  let cur: any = obj;
  for (const part of path.split('.')) cur = cur?.[part];
  return cur === undefined || cur === null ? '' : String(cur);
}

export function parseFieldSelector(selector: string | null, supported: readonly string[]): Matcher {
  if (!selector) return () => true;
  const tests: Matcher[] = splitTerms(selector).map((term) => {
    const eq = equalityTerm(term);
    if (!eq) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    if (!supported.includes(eq.key)) throw new SelectorError(`field label not supported: ${eq.key}`);
    return (obj) => (fieldValue(obj, eq.key) === eq.value) === (eq.op === '=');
  });
  return (obj) => tests.every((t) => t(obj));
}
