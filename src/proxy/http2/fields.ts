// HTTP/2 header fields built from HTTP/1.1-style [name, value, ...] lists: names lower-case (HTTP/2
// requires it), Set-Cookie kept as separate fields (its values contain commas), other repeats joined
// with ", " (RFC 9110 5.3), since node:http2 refuses repeats of single-value fields.
//
// A response head without repeated names can also go to node:http2 as a flat list (ResponseFieldList),
// which it takes as it is; an object is copied into a new one by every respond().
import type http2 from 'node:http2';

/** A response head as [':status', status, name, value, ...], names lower-case, no name repeated. */
export type ResponseFieldList = string[];

/** A response head in either form respond() takes. */
export type ResponseFields = http2.OutgoingHttpHeaders | ResponseFieldList;

/** Whether a lower-case name appears twice among the names of a flat list from `from` on. */
export function hasRepeatedName(list: readonly string[], from: number): boolean {
  for (let i = from; i < list.length; i += 2) {
    const name = list[i];
    for (let j = i + 2; j < list.length; j += 2) if (list[j] === name) return true;
  }
  return false;
}

function addField(fields: http2.OutgoingHttpHeaders, name: string, value: string): void {
  const lower = name.toLowerCase();
  const existing = fields[lower];
  if (existing === undefined) fields[lower] = value;
  else if (lower === 'set-cookie') fields[lower] = Array.isArray(existing) ? [...existing, value] : [String(existing), value];
  else fields[lower] = `${String(existing)}, ${value}`;
}

/**
 * A ResponseFieldList as respond() takes it: the list itself, or, where a name repeats, an object that
 * combines the repeats (node:http2 refuses repeats of single-value fields in a list).
 */
export function asResponseFields(list: ResponseFieldList): ResponseFields {
  return hasRepeatedName(list, 2) ? fieldsFromFlat(Number(list[1]), list.slice(2)) : list;
}

/** A response head (`status` set) or trailers (`status` null) from a flat list. */
export function fieldsFromFlat(status: number | null, flat: readonly string[]): http2.OutgoingHttpHeaders {
  const fields: http2.OutgoingHttpHeaders = status === null ? {} : { ':status': status };
  for (let i = 0; i < flat.length; i += 2) addField(fields, flat[i]!, flat[i + 1]!);
  return fields;
}
