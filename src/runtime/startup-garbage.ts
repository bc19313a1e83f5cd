// A worker returns its start-up garbage once, when its first route table is in and before it says so
// (the gateway is ready only after that). Loading and compiling grow V8's young generation to about
// 8 MiB, and V8's memory reducer gives those pages back only 10-20 s after start; until then each idle
// worker holds about 4 MiB more RSS (68-69 MiB instead of 64-65 for one route). One full collection
// in V8's memory-reducing mode ("last resort") does the same at once, in about 20 ms, before any
// request arrives. The primary starts workers with --expose-gc (v8-flags.ts); the global `gc` is cleared before
// plugins load (V8 defines it non-configurable, so it stays as an undefined property), so no other code
// can call it.
import v8 from 'node:v8';

type ExposedGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface StartupGarbageReport {
  rssBeforeMb: number;
  rssAfterMb: number;
  newSpaceMb: number;
  ms: number;
}

const MB = 1024 * 1024;
const round = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/** Takes `gc` off the global object; the returned function collects, or is null without --expose-gc. */
export function takeStartupCollector(): (() => StartupGarbageReport) | null {
  const global = globalThis as { gc?: ExposedGc };
  const gc = global.gc;
  if (typeof gc !== 'function') return null;
  global.gc = undefined;
  return () => {
    const before = process.memoryUsage.rss();
    const start = performance.now();
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    return { rssBeforeMb: round(before), rssAfterMb: round(process.memoryUsage.rss()), newSpaceMb: round(newSpace?.physical_space_size ?? 0), ms: Math.round(performance.now() - start) };
  };
}
