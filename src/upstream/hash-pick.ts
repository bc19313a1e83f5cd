// Consistent hashing of requests onto endpoints (ingress-nginx's upstream-hash-by): rendezvous hashing,
// where each endpoint scores the request's key and the highest score wins. A key keeps its endpoint
// while the endpoints change, except the keys of an endpoint that left and the ~1/n that a new
// endpoint wins. An ejected or avoided endpoint is skipped by pickEndpoint, which then balances as usual.
import type { UpstreamChoice } from '../middleware/types.ts';
import type { BackendRuntime } from './registry.ts';

function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** murmur3's finalizer: spreads the bits of a seeded FNV hash. */
function mix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** The "ip:port" of the endpoint `key` hashes to, or null without endpoints. */
export function hashedEndpoint(backend: BackendRuntime, key: string): string | null {
  const keyHash = fnv1a(key, 0x811c9dc5);
  let best: string | null = null;
  let bestScore = -1;
  for (const endpoint of backend.endpoints) {
    const score = mix(fnv1a(endpoint.pool.key, keyHash));
    if (score > bestScore) {
      bestScore = score;
      best = endpoint.pool.key;
    }
  }
  return best;
}

/** The endpoint to try first: the affinity cookie's, else the hash key's, else none (round robin). */
export function preferredEndpoint(backend: BackendRuntime, upstream: UpstreamChoice): string | null {
  if (upstream.preferredEndpoint !== null || upstream.hashKey === null) return upstream.preferredEndpoint;
  return hashedEndpoint(backend, upstream.hashKey);
}
