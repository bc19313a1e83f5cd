// One classification for every way a call to the Kubernetes API can fail, whoever made the call:
// @kubernetes/client-node's ApiException (code + raw JSON body string), its Watch errors (statusCode),
// Tideway's own KubeStatusError, undici/Node transport errors (code on the error or on its cause),
// DOMException TimeoutError/AbortError, and unparsable answers (SyntaxError). See
// shared/notes/kubernetes-client.md for the shapes observed against a real API server.

export type KubeErrorKind =
  | 'unauthorized' // 401: credentials missing, wrong or expired
  | 'forbidden' // 403: RBAC does not allow the call
  | 'not-found' // 404
  | 'conflict' // 409 Conflict (stale resourceVersion) or AlreadyExists
  | 'invalid' // 400/422: the request itself is wrong
  | 'expired' // 410: resourceVersion or continue token too old: relist
  | 'throttled' // 429
  | 'server' // 5xx
  | 'transport' // connection refused/reset/cut, DNS, TLS
  | 'timeout' // our own deadline, or undici's connect/headers/body timeouts
  | 'aborted' // cancelled by us
  | 'bad-response' // the server answered something that is not the JSON it should be
  | 'unknown';

export interface KubeErrorInfo {
  kind: KubeErrorKind;
  /** HTTP status, when there was an answer. */
  code?: number;
  /** Status reason (NotFound, Conflict, AlreadyExists, Expired, ...) or transport error code (ECONNREFUSED). */
  reason?: string;
  /** One line, fit for a log message (never ApiException's multi-line dump). */
  message: string;
  /** Worth retrying the same call later. */
  retryable: boolean;
}

/** A non-2xx answer from the API server, with the Status object it sent (when it sent one). */
export class KubeStatusError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  readonly status: Record<string, unknown> | undefined;
  readonly path: string;

  constructor(code: number, path: string, status: Record<string, unknown> | undefined) {
    const reason = typeof status?.reason === 'string' ? status.reason : undefined;
    const detail = typeof status?.message === 'string' ? status.message : 'no Status in the answer';
    super(`HTTP ${code}${reason ? ` ${reason}` : ''} from ${path}: ${detail}`);
    this.name = 'KubeStatusError';
    this.code = code;
    this.reason = reason;
    this.status = status;
    this.path = path;
  }
}

/** The API server answered, but not with what the protocol promises (e.g. a line that is not JSON). */
export class KubeBadResponseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeBadResponseError';
  }
}

const TRANSPORT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED',
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function kindForStatus(code: number, reason: string | undefined): KubeErrorKind {
  if (code === 401) return 'unauthorized';
  if (code === 403) return 'forbidden';
  if (code === 404) return 'not-found';
  if (code === 409) return 'conflict';
  if (code === 410 || reason === 'Expired' || reason === 'Gone') return 'expired';
  if (code === 429) return 'throttled';
  if (code >= 500) return 'server';
  if (code === 400 || code === 422) return 'invalid';
  return 'unknown';
}

function fromStatus(code: number, status: Record<string, unknown> | undefined): KubeErrorInfo {
  const reason = typeof status?.reason === 'string' ? status.reason : undefined;
  const text = typeof status?.message === 'string' ? status.message : undefined;
  const kind = kindForStatus(code, reason);
  return {
    kind, code, reason,
    message: `HTTP ${code}${reason ? ` ${reason}` : ''}${text ? `: ${text}` : ''}`,
    retryable: kind === 'server' || kind === 'throttled' || kind === 'expired' || kind === 'conflict',
  };
}

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown; cause?: { code?: unknown } } } | null;
  for (const c of [e?.code, e?.cause?.code, e?.cause?.cause?.code]) if (typeof c === 'string') return c;
  return undefined;
}

export function classifyKubeError(err: unknown): KubeErrorInfo {
  if (err instanceof KubeStatusError) return fromStatus(err.code, err.status);
  const e = err as { name?: string; message?: string; code?: unknown; body?: unknown; statusCode?: unknown } | null;
  const name = e?.name;
  // ApiException (client-node typed calls): numeric code, body is the raw JSON string (or undefined for 401).
  if (typeof e?.code === 'number' && e.code >= 100 && e.code < 600) return fromStatus(e.code, parseBody(e.body));
  // client-node's Watch: a plain Error carrying statusCode.
  if (typeof e?.statusCode === 'number') return fromStatus(e.statusCode, undefined);
  if (name === 'TimeoutError') return { kind: 'timeout', reason: 'TimeoutError', message: 'timed out', retryable: true };
  if (name === 'AbortError') return { kind: 'aborted', reason: 'AbortError', message: 'aborted', retryable: false };
  if (err instanceof KubeBadResponseError || err instanceof SyntaxError) {
    return { kind: 'bad-response', message: `invalid answer: ${e?.message}`, retryable: true };
  }
  const code = errorCode(err);
  if (code && TIMEOUT_CODES.has(code)) return { kind: 'timeout', reason: code, message: `${code}: ${e?.message}`, retryable: true };
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return { kind: 'aborted', reason: code, message: 'aborted', retryable: false };
  if ((code && TRANSPORT_CODES.has(code)) || (err instanceof TypeError && /fetch failed|terminated/.test(err.message))) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return { kind: 'transport', reason: code, message: `${code ?? name}: ${cause ?? e?.message}`, retryable: true };
  }
  return { kind: 'unknown', reason: code, message: String(e?.message ?? err), retryable: true };
}
