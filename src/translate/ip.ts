// IP address checks for EndpointSlice addresses and Ingress hosts, written out here because the
// translate room stays free of node:net.

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
/** Go's ParseIPSloppy (which the API server uses to reject IP hosts) also takes leading zeros. */
const IPV4_SLOPPY = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function isIPv4Sloppy(text: string): boolean {
  const m = IPV4_SLOPPY.exec(text);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** RFC 4291 text form, with "::" compression and an optional dotted IPv4 tail; no zone index. */
export function isIPv6(text: string): boolean {
  const compressed = text.indexOf('::');
  if (compressed !== text.lastIndexOf('::')) return false;
  const split = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const groups = compressed < 0 ? text.split(':') : [...split(text.slice(0, compressed)), ...split(text.slice(compressed + 2))];
  let count = groups.length;
  const last = groups[groups.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups.pop();
    count++; // an IPv4 tail stands for two groups
  }
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  return compressed < 0 ? count === 8 : count <= 7;
}
