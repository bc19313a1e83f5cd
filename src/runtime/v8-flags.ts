// V8 flags of the processes that serve traffic (workers, or the single process of --workers 1).
//
// --no-allocation-site-pretenuring: V8 watches which allocation sites' objects survive young-generation
// collections, and once most of a site's do, allocates that site's objects in the old generation from
// then on. A proxy's per-request objects are short-lived, but a burst of survivors (a full collection
// in the middle of a load, a load of another kind just before) can get their sites tenured: measured on
// grpc-unary-tls run after small-get and post-16k on the same gateway, scavenges then took 4-7 ms
// instead of 0.8, 2.6 KB per call reached the old generation, and a 30-40 ms full collection followed
// every 0.8 s (p99 15 ms, 90 µs per call); with the flag, the same sequence kept 0.7-0.9 ms scavenges
// and no full collection under load (p99 8 ms, 81 µs). The control plane's primary keeps V8's default:
// its route tables are the long-lived objects pretenuring is for.
//
// --expose-gc: for the one collection a worker makes at start (startup-garbage.ts).
import v8 from 'node:v8';

const DATA_PLANE_V8_FLAGS = ['--no-allocation-site-pretenuring'];

/** Node arguments the primary starts workers with. */
export const WORKER_EXEC_ARGV: readonly string[] = [...DATA_PLANE_V8_FLAGS, '--expose-gc'];

/**
 * For a single process serving traffic itself: applied at start, before the gateway allocates anything
 * of note (V8 reads this flag when it collects, so setting it at run time takes effect from then on).
 */
export function applyDataPlaneV8Flags(): void {
  v8.setFlagsFromString(DATA_PLANE_V8_FLAGS.join(' '));
}
