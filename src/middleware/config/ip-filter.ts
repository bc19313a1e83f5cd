// Configuration of ip-filter: CIDR lists checked against the client address (after --trusted-proxies).
import { CidrParseError, CidrSet } from '../../lib/cidr.ts';
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader } from './read.ts';

export interface IpFilterConfig {
  /** When set, only these addresses pass. */
  allow: CidrSet | null;
  /** These addresses never pass, even when also allowed. */
  deny: CidrSet | null;
}

/** The CIDR list under `key` (null when absent); a bad entry fails naming its index. */
export function cidrs(r: ConfigReader, key: string): CidrSet | null {
  const list = r.stringList(key, true);
  if (list === undefined) return null;
  return new CidrSet(list.map((text, i) => {
    try {
      new CidrSet([text]);
    } catch (err) {
      if (err instanceof CidrParseError) throw new MiddlewareConfigError(`${r.field(key)}[${i}]`, err.message);
      throw err;
    }
    return text;
  }));
}

export function parseIpFilterConfig(raw: unknown): IpFilterConfig {
  const r: ConfigReader = new ConfigReader(raw);
  const allow = cidrs(r, 'allow');
  const deny = cidrs(r, 'deny');
  r.finish();
  if (allow === null && deny === null) r.fail('allow', 'allow or deny (a list of CIDRs) is required');
  return { allow, deny };
}
