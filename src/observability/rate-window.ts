// Requests and 5xx answers per second over the last WINDOW_SECONDS, for the dashboard's live rates
// (/api/stats). A ring of one-second slots: a slot is reset when a new second lands on it, so adding
// is two array writes and nothing ever needs a timer.

export const WINDOW_SECONDS = 10;

export interface Rates {
  requestsPerSecond: number;
  errorsPerSecond: number;
}

export class RateWindow {
  private readonly seconds = new Float64Array(WINDOW_SECONDS).fill(-1);
  private readonly requests = new Float64Array(WINDOW_SECONDS);
  private readonly errors = new Float64Array(WINDOW_SECONDS);
  /** False once dropped from the index's listing as idle; the next request lists it again. */
  listed = true;

  /** `second` is whole seconds since the epoch. */
  add(second: number, serverError: boolean): void {
    const slot = second % WINDOW_SECONDS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.requests[slot] = 0;
      this.errors[slot] = 0;
    }
    this.requests[slot]!++;
    if (serverError) this.errors[slot]!++;
  }

  /** Rates over the seconds (now - WINDOW_SECONDS, now], the current partial second included. */
  rates(nowSecond: number): Rates {
    let requests = 0;
    let errors = 0;
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const second = this.seconds[slot]!;
      if (second > nowSecond - WINDOW_SECONDS && second <= nowSecond) {
        requests += this.requests[slot]!;
        errors += this.errors[slot]!;
      }
    }
    return { requestsPerSecond: requests / WINDOW_SECONDS, errorsPerSecond: errors / WINDOW_SECONDS };
  }

  /** True when no request landed in the window ending at nowSecond. */
  idleSince(nowSecond: number): boolean {
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) if (this.seconds[slot]! > nowSecond - WINDOW_SECONDS) return false;
    return true;
  }
}
