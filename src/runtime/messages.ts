// Messages between the primary and its workers (node:cluster IPC, structured-cloned).
import type { RouteTableSpec } from '../routing/index.ts';

export type PrimaryMessage =
  | { type: 'snapshot'; spec: RouteTableSpec }
  | { type: 'drain'; timeoutMs: number };

export type WorkerMessage =
  | { type: 'listening'; http: number }
  | { type: 'served'; version: number };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isWorkerMessage(value);
}
