// What the primary sends one worker, in order, without holding its event loop: a whole table goes as
// a sequence of parts (snapshot-parts.ts), each serialised on its own turn of the loop, and a delta
// published meanwhile waits behind them (it applies to the table the parts make). A part is sent once
// the previous message has been written to the channel, so a slow worker holds back the sending, not
// the primary's memory.
import type { Worker } from 'node:cluster';
import type { PrimaryMessage } from './messages.ts';

/** Longest run of serialising and sending before the loop is given back. */
const SLICE_MS = 5;

export class WorkerOutbox {
  private readonly worker: Worker;
  /** Messages or sequences of messages still to send, oldest first. */
  private readonly queue: Iterator<PrimaryMessage, void, void>[] = [];
  /** A send is being written, or a turn of the loop is awaited. */
  private busy = false;
  private sliceStart = 0;

  constructor(worker: Worker) {
    this.worker = worker;
  }

  /** Sends `messages` after everything queued before them. */
  enqueue(messages: Iterable<PrimaryMessage, void, void>): void {
    this.queue.push(messages[Symbol.iterator]());
    if (!this.busy) this.startSlice();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (!this.worker.isConnected()) break;
      const step = this.queue[0]!.next();
      if (step.done) {
        this.queue.shift();
        continue;
      }
      this.busy = true;
      this.worker.send(step.value, undefined, (error) => {
        if (error) return this.stop();
        // Written: the next message goes on this turn while the slice lasts, else on the next turn.
        if (performance.now() - this.sliceStart < SLICE_MS) this.pump();
        else setImmediate(() => this.startSlice());
      });
      return;
    }
    this.stop();
  }

  private startSlice(): void {
    this.sliceStart = performance.now();
    this.pump();
  }

  private stop(): void {
    this.busy = false;
    if (!this.worker.isConnected()) this.queue.length = 0;
  }
}
