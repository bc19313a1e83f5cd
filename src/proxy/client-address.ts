// The client address as seen through trusted proxies: the right-most X-Forwarded-For entry that is not
// itself a trusted proxy (what ingress-nginx's real_ip_recursive does). Untrusted peers are taken as
// they are. Shared by every protocol's request handling.
import type { CidrSet } from '../lib/cidr.ts';

export function resolveClientAddress(remoteAddress: string, trusted: boolean, trustedProxies: CidrSet, forwardedFor: string | undefined): string {
  if (!trusted || forwardedFor === undefined) return remoteAddress;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (hop && !trustedProxies.contains(hop)) return hop;
  }
  return hops[0]!.trim() || remoteAddress;
}
