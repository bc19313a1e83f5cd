// Turns a stream of changes into few deliveries. A rollout touches dozens of EndpointSlices within a
// second, and an editor saves a file in several writes: rebuilding the route table for each would waste the
// control plane. So a delivery waits until changes have been quiet for debounceMs, but never longer than
// maxDelayMs after the first undelivered change, so that continuous churn still reaches the data plane.

export interface BatchOptions {
  /** Quiet time after the last change before delivering. Default 100 ms. */
  debounceMs?: number;
  /** Longest a change waits for delivery, however busy the stream. Default 1000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_DEBOUNCE_MS = 100;
export const DEFAULT_MAX_DELAY_MS = 1000;

/** Timers fire on the event loop's cached clock, which can be slightly behind; this much early counts as due. */
const TIMER_SLACK_MS = 1;

export class ChangeBatcher {
  readonly #deliver: () => void;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  #firstChangeAt = 0;
  #lastChangeAt = 0;
  #pending = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deliver: () => void, options: BatchOptions = {}) {
    this.#deliver = deliver;
    this.#debounceMs = checkDelay('debounceMs', options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    this.#maxDelayMs = Math.max(this.#debounceMs, checkDelay('maxDelayMs', options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS));
  }

  /** Records a change. Cheap under churn: it re-arms no timer while one is already set. */
  notify(): void {
    const now = performance.now();
    this.#lastChangeAt = now;
    if (!this.#pending) {
      this.#pending = true;
      this.#firstChangeAt = now;
    }
    if (!this.#timer) this.#arm(this.#debounceMs);
  }

  /** Delivers now if a change is pending. */
  flush(): void {
    if (this.#pending) this.#fire();
  }

  /** Drops any pending delivery and its timer. */
  cancel(): void {
    this.#pending = false;
    this.#clearTimer();
  }

  #arm(delayMs: number): void {
    // The timer only matters while something is pending; it must not keep the process alive on its own.
    this.#timer = setTimeout(() => this.#onTimer(), delayMs).unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    const due = Math.min(this.#lastChangeAt + this.#debounceMs, this.#firstChangeAt + this.#maxDelayMs);
    const wait = due - performance.now();
    if (wait > TIMER_SLACK_MS) this.#arm(wait);
    else this.#fire();
  }

  #fire(): void {
    this.cancel();
    this.#deliver();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function checkDelay(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}
