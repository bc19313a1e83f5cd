// Misdirected requests (RFC 9110 15.5.20): a request for a host that would have been given another TLS
// context (another certificate, or another client certificate validation) than the one its connection
// was opened with, by SNI. HTTP/2 clients reuse connections across the hosts a certificate covers; an
// HTTP/1.1 client may name any host, which matters where the host asks for client certificates.
import { hostNameEnd } from '../../routing/index.ts';

/** Whether a request for `authority` on a connection opened for `serverName` is misdirected. */
export function isMisdirected(misdirected: (serverName: string, host: string) => boolean, serverName: string | false | null | undefined, authority: string): boolean {
  if (typeof serverName !== 'string' || serverName === '') return false;
  const end = hostNameEnd(authority);
  // The usual case, the name the connection was opened for: no lookup, no allocation.
  if (end === serverName.length && sameHostPrefix(authority, serverName)) return false;
  return misdirected(serverName, authority.slice(0, end));
}

/** ASCII case-insensitive: does `authority` start with `name`? */
function sameHostPrefix(authority: string, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let a = authority.charCodeAt(i);
    let b = name.charCodeAt(i);
    if (a >= 65 && a <= 90) a += 32;
    if (b >= 65 && b <= 90) b += 32;
    if (a !== b) return false;
  }
  return true;
}
