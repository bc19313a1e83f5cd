// node:http, loaded with require instead of an ES module import. An ES module import of a built-in
// copies every export into the module namespace, and node:http's WebSocket, CloseEvent and
// MessageEvent exports are getters that load Node's bundled undici (internal/deps/undici): about
// 3 MiB of resident memory in every worker process and in the primary (docs/benchmarks.md, "Memory
// per process"), for a WebSocket client Tideway never uses. Import node:http from here; type-only
// imports of node:http are fine anywhere.
import { createRequire } from 'node:module';

export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/** The standard reason phrase of each status code. */
export const STATUS_CODES: Readonly<Record<number, string | undefined>> = http.STATUS_CODES;
