// HTTP/2 sessions of a listener share that listener's context with its HTTP/1.1 connections (the
// routing snapshot, trusted proxies, scheme and port for X-Forwarded-*, observer, request ids), so an
// h2c connection on the plain port is described exactly like an HTTP/1.1 one. HTTP/2 adds its own limits.
import type { Http1Context } from '../http1/context.ts';

export type Http2Context = Http1Context;

export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS announced to clients. */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: bytes of one header block (the stream is reset beyond). */
  maxHeaderListSize: number;
  /** nghttp2's memory cap per session, in MB (new streams are refused beyond). */
  maxSessionMemoryMb: number;
  /** Streams a client may cancel per second before its session is cut (rapid-reset flood, CVE-2023-44487). */
  maxCancelsPerSecond: number;
  /** A session with no frame for this long gets GOAWAY. */
  idleTimeoutMs: number;
}

export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = Object.freeze({
  maxConcurrentStreams: 250,
  maxHeaderListSize: 16 * 1024,
  maxSessionMemoryMb: 32,
  maxCancelsPerSecond: 100,
  idleTimeoutMs: 75_000,
});
