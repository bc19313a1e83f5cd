// Outlier ejection per endpoint ("ip:port"): after `consecutiveFailures` failed attempts in a row an
// endpoint is ejected for baseEjectionMs times the number of its ejections so far (capped), then
// re-admitted on trial: one more failure ejects it again for longer, one success clears its record. At
// most maxEjectedPercent of a backend's endpoints are out at a time (at least one), so a backend-wide
// failure does not eject everything. A pure policy object: the proxy reports each attempt's outcome and
// filters its candidate endpoints through available(). Only endpoints with a failure record use memory.

export interface CircuitBreakerOptions {
  consecutiveFailures: number;
  baseEjectionMs: number;
  maxEjectionMs: number;
  maxEjectedPercent: number;
}

export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerOptions> = Object.freeze({
  consecutiveFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectedPercent: 50,
});

interface EndpointRecord {
  failures: number;
  ejections: number;
  /** Ejected while now < ejectedUntil. */
  ejectedUntil: number;
}

export class CircuitBreaker {
  readonly options: Readonly<CircuitBreakerOptions>;
  private readonly records = new Map<string, EndpointRecord>();
  private readonly now: () => number;

  constructor(options: Partial<CircuitBreakerOptions> = {}, now: () => number = () => performance.now()) {
    this.options = { ...DEFAULT_CIRCUIT_BREAKER, ...options };
    if (!(this.options.consecutiveFailures >= 1)) throw new RangeError('consecutiveFailures must be at least 1');
    this.now = now;
  }

  /** False while no endpoint has a failure on record: the common case costs the proxy one check. */
  get hasRecords(): boolean {
    return this.records.size > 0;
  }

  isEjected(endpoint: string): boolean {
    const record = this.records.get(endpoint);
    return record !== undefined && this.now() < record.ejectedUntil;
  }

  /** The endpoints that may receive requests now, in their order; all of them when every one is ejected. */
  available(endpoints: readonly string[]): readonly string[] {
    if (this.records.size === 0) return endpoints;
    const now = this.now();
    const usable = endpoints.filter((e) => !(now < (this.records.get(e)?.ejectedUntil ?? 0)));
    return usable.length === 0 ? endpoints : usable;
  }

  recordSuccess(endpoint: string): void {
    const record = this.records.get(endpoint);
    if (record !== undefined && this.now() >= record.ejectedUntil) this.records.delete(endpoint);
  }

  /** `poolSize`: how many endpoints the backend has, for the ejection cap. Returns true when this ejected it. */
  recordFailure(endpoint: string, poolSize: number): boolean {
    const now = this.now();
    let record = this.records.get(endpoint);
    if (record === undefined) {
      record = { failures: 0, ejections: 0, ejectedUntil: 0 };
      this.records.set(endpoint, record);
    }
    if (now < record.ejectedUntil) return false;
    record.failures++;
    // Re-admitted on trial after an ejection: a single failure sends it back out.
    const threshold = record.ejections > 0 ? 1 : this.options.consecutiveFailures;
    if (record.failures < threshold) return false;
    if (this.ejectedCount(now) >= Math.max(1, Math.floor((poolSize * this.options.maxEjectedPercent) / 100))) return false;
    record.ejections++;
    record.failures = 0;
    record.ejectedUntil = now + Math.min(this.options.baseEjectionMs * record.ejections, this.options.maxEjectionMs);
    return true;
  }

  private ejectedCount(now: number): number {
    let count = 0;
    for (const record of this.records.values()) if (now < record.ejectedUntil) count++;
    return count;
  }
}
