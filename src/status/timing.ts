// Timing of leader election and status writing. The defaults follow client-go's leader election
// (15 s lease, 10 s renew deadline) so that Tideway behaves like other controllers in a cluster; tests
// shorten everything through the same knobs.
import { setTimeout as sleep } from 'node:timers/promises';

export interface StatusTiming {
  /** Lease.spec.leaseDurationSeconds, in ms (whole seconds on the wire): how long others wait before taking over. */
  leaseDurationMs: number;
  /**
   * A leader whose renewals have not succeeded for this long stops acting as leader, even while the API
   * server is unreachable. Must leave room for one API call before the lease expires for others.
   */
  renewDeadlineMs: number;
  /** How often the leader renews (jittered ±20%). */
  renewIntervalMs: number;
  /** How often a follower checks whether the lease is free or expired (jittered ±20%). */
  retryIntervalMs: number;
  /** Deadline of one API call. */
  callTimeoutMs: number;
  /** How often the leader reads the --publish-service Service for its address. */
  publishServiceIntervalMs: number;
  /** Status writes per second (token bucket) and burst. */
  statusQps: number;
  statusBurst: number;
  /** Event writes per second and burst. */
  eventQps: number;
  eventBurst: number;
  /** Concurrent API calls of one writer. */
  concurrency: number;
  /** A failed write is retried after this, doubling up to retryMaxMs. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** The leader re-reads every Ingress's status this often, to repair what others overwrote. */
  resyncMs: number;
  /**
   * A diagnostic that persists gets its Event's count raised this often, so that the Event outlives the
   * API server's event TTL (1 h by default) for as long as the problem lasts.
   */
  eventRefreshMs: number;
  /** How long an Event is remembered after its diagnostic went away (a recurrence raises its count). */
  eventMemoryMs: number;
}

export const DEFAULT_STATUS_TIMING: StatusTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  renewIntervalMs: 5_000,
  retryIntervalMs: 2_000,
  callTimeoutMs: 5_000,
  publishServiceIntervalMs: 10_000,
  statusQps: 20,
  statusBurst: 50,
  eventQps: 5,
  eventBurst: 25,
  concurrency: 4,
  retryInitialMs: 1_000,
  retryMaxMs: 30_000,
  resyncMs: 10 * 60_000,
  eventRefreshMs: 30 * 60_000,
  eventMemoryMs: 60 * 60_000,
};

export class StatusTimingError extends Error {
  constructor(message: string) {
    super(`status timing: ${message}`);
    this.name = 'StatusTimingError';
  }
}

/**
 * Defaults filled in and the safety rule checked: a leader steps down at renewDeadline after its last
 * successful renewal and aborts its calls then, so nothing it sends lands after the lease expired, as
 * long as one call fits between the deadline and the expiry.
 */
export function resolveStatusTiming(partial: Partial<StatusTiming> = {}): StatusTiming {
  const t: StatusTiming = { ...DEFAULT_STATUS_TIMING, ...partial };
  for (const [name, value] of Object.entries(t)) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) throw new StatusTimingError(`${name} must be a positive number, not ${value}`);
  }
  if (t.leaseDurationMs % 1000 !== 0) throw new StatusTimingError(`leaseDurationMs must be whole seconds (the Lease field is in seconds), not ${t.leaseDurationMs}`);
  if (!(t.renewIntervalMs * 1.2 < t.renewDeadlineMs)) throw new StatusTimingError(`renewIntervalMs (${t.renewIntervalMs}) must be well below renewDeadlineMs (${t.renewDeadlineMs})`);
  if (!(t.renewDeadlineMs < t.leaseDurationMs)) throw new StatusTimingError(`renewDeadlineMs (${t.renewDeadlineMs}) must be below leaseDurationMs (${t.leaseDurationMs})`);
  if (t.callTimeoutMs > t.renewDeadlineMs) throw new StatusTimingError(`callTimeoutMs (${t.callTimeoutMs}) must not exceed renewDeadlineMs (${t.renewDeadlineMs})`);
  return t;
}

/** `ms` ± `fraction`, so that replicas started together do not call in lockstep. */
export function jittered(ms: number, fraction = 0.2, random: () => number = Math.random): number {
  return ms * (1 - fraction + 2 * fraction * random());
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => {});
}
