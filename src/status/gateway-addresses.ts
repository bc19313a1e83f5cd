// A Gateway's status.addresses, and whether its spec.addresses can be honoured. Tideway has one set of
// addresses, its own (--publish-address, or the --publish-service Service's load balancer), whatever
// the Gateway: a requested address that is one of them is the Gateway's, any other cannot be assigned
// (Programmed=False, AddressNotUsable, as the spec's GatewayStaticAddresses test expects).
import type { GatewayAddressSpec } from '../translate/index.ts';
import type { LoadBalancerAddress } from './publish-address.ts';

export interface GatewayAddresses {
  addresses: GatewayAddressSpec[];
  /** Why some requested address is not used; null when every one is. */
  notUsable: string | null;
}

function typed(address: LoadBalancerAddress): GatewayAddressSpec {
  return address.ip !== undefined ? { type: 'IPAddress', value: address.ip } : { type: 'Hostname', value: address.hostname ?? '' };
}

/** status.addresses for `requested` (spec.addresses of supported types) given Tideway's own addresses. */
export function gatewayAddresses(requested: readonly GatewayAddressSpec[], own: readonly LoadBalancerAddress[]): GatewayAddresses {
  const mine = own.map(typed);
  if (requested.length === 0) return { addresses: mine, notUsable: null };
  const isMine = (a: GatewayAddressSpec) => mine.some((m) => m.type === a.type && m.value === a.value);
  const unusable = requested.filter((a) => !isMine(a));
  return {
    addresses: requested.filter(isMine),
    notUsable: unusable.length === 0 ? null : `${unusable.map((a) => `${a.type} ${a.value}`).join(', ')} cannot be assigned: Tideway's addresses are ${mine.length === 0 ? 'not known yet' : mine.map((a) => a.value).join(', ')} (--publish-address, --publish-service)`,
  };
}
