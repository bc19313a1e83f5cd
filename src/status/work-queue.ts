// A keyed work queue in the manner of client-go's workqueue: a key queued twice is worked once, a key
// re-queued while being worked is worked again afterwards, work runs a few at a time, and a failed key
// is retried with exponential backoff. The worker reads the latest desired state when it runs, so a
// burst of snapshots collapses into one write per object. Workers take a TokenBucket token before each
// API call (not per key: most keys need no call, e.g. after a takeover most statuses are right).
import { jittered, pause } from './timing.ts';

/** What a worker says about its key: done, or try again later (with backoff). */
export type WorkResult = 'done' | 'retry';

export interface WorkQueueOptions {
  concurrency: number;
  retryInitialMs: number;
  retryMaxMs: number;
  work(key: string): Promise<WorkResult>;
  /** A worker threw (a bug: workers report failures as 'retry'); the key is retried. */
  onError(key: string, error: unknown): void;
}

export class TokenBucket {
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private last: number;

  constructor(perSecond: number, burst: number) {
    this.rate = perSecond / 1000;
    this.burst = burst;
    this.tokens = burst;
    this.last = performance.now();
  }

  /** Waits for a token; false when `signal` aborted first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    for (let wait = this.take(); wait > 0; wait = this.take()) {
      await pause(wait, signal);
      if (signal.aborted) return false;
    }
    return !signal.aborted;
  }

  /** Takes a token if one is there; otherwise says how many ms until one is. */
  private take(): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.rate);
  }
}

export class WorkQueue {
  private readonly o: WorkQueueOptions;
  /** Keys waiting, in arrival order (a Set keeps both order and uniqueness). */
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys queued again while running: they go back in the queue when their run ends. */
  private readonly again = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** Raised by clear(): runs that started before it do not re-queue their key. */
  private generation = 0;

  constructor(options: WorkQueueOptions) {
    this.o = options;
  }

  add(key: string): void {
    if (this.closed) return;
    const timer = this.delayed.get(key);
    if (timer) {
      clearTimeout(timer);
      this.delayed.delete(key);
    }
    if (this.running.has(key)) this.again.add(key);
    else this.queued.add(key);
    this.pump();
  }

  /** Forgets every waiting key and pending retry (work in flight finishes; its result is ignored). */
  clear(): void {
    this.generation++;
    this.queued.clear();
    this.again.clear();
    this.failures.clear();
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
  }

  get size(): number {
    return this.queued.size + this.running.size + this.delayed.size;
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private pump(): void {
    while (this.queued.size > 0 && this.running.size < this.o.concurrency) {
      const key = this.queued.values().next().value as string;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    const generation = this.generation;
    let result: WorkResult;
    try {
      result = await this.o.work(key);
    } catch (error) {
      this.o.onError(key, error);
      result = 'retry';
    }
    this.running.delete(key);
    if (this.closed) return;
    if (this.again.delete(key)) { // queued again while running (clear() empties `again`, so after any clear)
      this.failures.delete(key);
      this.queued.add(key);
    } else if (result === 'retry' && generation === this.generation) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = jittered(Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** (failures - 1)));
      this.delayed.set(key, setTimeout(() => {
        this.delayed.delete(key);
        this.queued.add(key);
        this.pump();
      }, delay));
    } else {
      this.failures.delete(key);
    }
    this.pump();
  }
}

/** A WorkQueue with the status room's concurrency and retry timing. */
export function timedWorkQueue(
  timing: { concurrency: number; retryInitialMs: number; retryMaxMs: number },
  work: WorkQueueOptions['work'],
  onError: WorkQueueOptions['onError'],
): WorkQueue {
  return new WorkQueue({ concurrency: timing.concurrency, retryInitialMs: timing.retryInitialMs, retryMaxMs: timing.retryMaxMs, work, onError });
}
