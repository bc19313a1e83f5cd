// Configuration of request-mirror (the Gateway API's RequestMirror filter): copies of requests go to
// the endpoints of other backends, each target for a share of requests; answers are thrown away.
import { MiddlewareConfigError } from '../types.ts';
import { ConfigReader, isPlainObject } from './read.ts';

export interface MirrorTarget {
  /** "ip:port" ("[v6]:port") of the target's endpoints; empty: nothing is sent. */
  endpoints: string[];
  /** Share of requests mirrored, 0 to 1. */
  fraction: number;
}

const ENDPOINT = /^(?:[0-9.]+|\[[0-9a-fA-F:.]+\]):\d{1,5}$/;

export function parseMirrorConfig(raw: unknown): MirrorTarget[] {
  const r = new ConfigReader(raw);
  const list = r.raw('targets');
  r.finish();
  if (!Array.isArray(list) || list.length === 0) return r.fail('targets', 'must be a non-empty list');
  return list.map((entry: unknown, i) => {
    const { endpoints, fraction } = isPlainObject(entry) ? entry : {};
    if (!Array.isArray(endpoints) || !endpoints.every((e) => typeof e === 'string' && ENDPOINT.test(e))) {
      throw new MiddlewareConfigError(`targets[${i}].endpoints`, 'must list endpoints as "ip:port"');
    }
    if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) throw new MiddlewareConfigError(`targets[${i}].fraction`, 'must be a number from 0 to 1');
    return { endpoints: endpoints as string[], fraction };
  });
}
