// Messages between the primary and its workers (node:cluster IPC, serialised as JSON).
import type { RateGrant, RateLease } from '../middleware/index.ts';
import type { SpecDelta } from './spec-delta.ts';
import type { SnapshotPart } from './snapshot-parts.ts';

export type PrimaryMessage =
  /** One part of a whole table (see snapshot-parts.ts): the worker serves the table once its last part is in. */
  | { type: 'snapshot-part'; part: SnapshotPart }
  /** The next table as a difference from the one the worker serves (see spec-delta.ts). */
  | { type: 'delta'; delta: SpecDelta }
  | { type: 'drain'; timeoutMs: number }
  /** The answer to a worker's rate-lease: tokens of the instance's rate-limit budget. */
  | ({ type: 'rate-grant' } & RateGrant);

export type WorkerMessage =
  | { type: 'listening'; http: number }
  | { type: 'served'; version: number }
  /** A delta did not apply to the table this worker serves (it started meanwhile): send the whole table. */
  | { type: 'resync' }
  /** A worker asks the primary for tokens of a rate limit (middleware/rate-budget). */
  | ({ type: 'rate-lease' } & RateLease);

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isWorkerMessage(value);
}
