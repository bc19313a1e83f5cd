// forward-auth: asks an auth service about each request (ingress-nginx auth-url, Traefik forwardAuth).
// The subrequest carries the client's method and headers (no body) plus X-Forwarded-* and X-Original-*
// describing the original request. A 2xx answer lets the request through and copies the chosen headers
// of the answer onto the upstream request; any other answer is returned to the client as it is (with
// signinUrl, a 401 becomes a redirect to the sign-in page). An unreachable or slow auth service gets 503:
// never a request through unchecked.
import { lazyModule } from '../../lib/lazy-module.ts';
import { parseForwardAuthConfig, type ForwardAuthConfig } from '../config/forward-auth.ts';
import { expandNginxVariables } from '../config/nginx-variables.ts';
import type { Context, MiddlewareFactory } from '../types.ts';
import { answer } from './answer.ts';

const undici = lazyModule<typeof import('undici')>('undici');

/** Not sent to the auth service: the subrequest has no body and its own connection and host. */
// x-auth-request-redirect is the gateway's to set (below): a client's would be trusted by the auth service.
const SKIPPED_REQUEST_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'expect', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection', 'x-auth-request-redirect']);
/** Not copied from a refusal to the client: framing belongs to the proxy. */
const SKIPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'trailer', 'upgrade', 'proxy-connection']);
/** A refusal's body is passed on when small (a login page, a JSON error); beyond this it is replaced. */
const MAX_REFUSAL_BODY_BYTES = 64 * 1024;
const FAILURE_LOG_INTERVAL_MS = 10_000;
/** The statuses nginx's add_header (without "always") applies to: where ingress-nginx passes the auth cookies. */
const ADD_HEADER_STATUSES = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);

function subrequestHeaders(ctx: Context, c: ForwardAuthConfig): string[] {
  const { request: req } = ctx;
  const headers: string[] = [];
  const wanted = c.authRequestHeaders === null ? null : new Set(c.authRequestHeaders.map((h) => h.toLowerCase()));
  for (const [name, value] of req.headers.entries()) {
    const lower = name.toLowerCase();
    if (SKIPPED_REQUEST_HEADERS.has(lower) || lower.startsWith('x-forwarded-') || lower.startsWith('x-original-')) continue;
    if (wanted !== null && !wanted.has(lower)) continue;
    headers.push(name, value);
  }
  const url = `${req.scheme}://${req.authority}${req.path}`;
  headers.push(
    'x-forwarded-method', req.method,
    'x-forwarded-proto', req.scheme,
    'x-forwarded-host', req.authority,
    'x-forwarded-uri', req.path,
    'x-forwarded-for', req.clientAddress,
    'x-original-method', req.method,
    'x-original-url', url,
    'x-real-ip', req.clientAddress,
    'x-auth-request-redirect', c.requestRedirect ?? req.path,
  );
  return headers;
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_REFUSAL_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function signinLocation(ctx: Context, c: ForwardAuthConfig, signinUrl: string): string {
  const signin = expandNginxVariables(signinUrl, ctx.request);
  if (c.signinHasParam) return signin;
  const original = `${ctx.request.scheme}://${ctx.request.authority}${ctx.request.path}`;
  return `${signin}${signin.includes('?') ? '&' : '?'}${c.signinRedirectParam}=${encodeURIComponent(original)}`;
}

export const forwardAuthFactory: MiddlewareFactory = {
  type: 'forward-auth',
  create(config, env) {
    const c = parseForwardAuthConfig(config);
    const { Agent, request } = undici();
    // One keep-alive agent for every forward-auth middleware, kept across snapshots.
    const agent = env.shared('forward-auth:agent', () => new Agent({ keepAliveTimeout: 10_000 }));
    const copied = c.authResponseHeaders;
    let lastFailureLogMs = -Infinity;

    const allowed = c.allowSourceRange;
    return async (ctx, next) => {
      if (allowed !== null && allowed.contains(ctx.request.clientAddress)) return next();
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(c.urlTemplate === null ? c.url : expandNginxVariables(c.urlTemplate, ctx.request), {
          method: (c.method ?? ctx.request.method) as 'GET',
          headers: subrequestHeaders(ctx, c),
          dispatcher: agent,
          headersTimeout: c.timeoutMs,
          bodyTimeout: c.timeoutMs,
        });
      } catch (err) {
        const now = performance.now();
        if (now - lastFailureLogMs >= FAILURE_LOG_INTERVAL_MS) {
          lastFailureLogMs = now;
          env.log('warn', 'forward-auth: auth service unavailable; answering 503', { url: c.urlTemplate ?? c.url.href, error: (err as Error).message });
        }
        ctx.logFields.denied = 'forward-auth-unavailable';
        return answer(ctx, 503);
      }
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        await response.body.dump();
        const headers = ctx.request.headers;
        for (const name of copied) {
          headers.delete(name);
          const value = response.headers[name.toLowerCase()];
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
        }
        const cookies = c.passAuthCookies === 'never' ? undefined : response.headers['set-cookie'];
        if (cookies === undefined) return next();
        await next();
        const answer = ctx.response;
        if (answer === null || (c.passAuthCookies === 'on-success' && !ADD_HEADER_STATUSES.has(answer.status))) return;
        for (const cookie of Array.isArray(cookies) ? cookies : [cookies]) answer.headers.append('set-cookie', cookie);
        return;
      }
      ctx.logFields.denied = 'forward-auth';
      if (status === 401 && c.signinUrl !== null) {
        await response.body.dump();
        return answer(ctx, 302, { location: signinLocation(ctx, c, c.signinUrl) });
      }
      let body: Buffer | null;
      try {
        body = await readCapped(response.body);
      } catch {
        body = null;
      }
      if (body === null) {
        response.body.destroy();
        return answer(ctx, status);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined || name === 'set-cookie' || SKIPPED_RESPONSE_HEADERS.has(name)) continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      ctx.respond(status, body, headers);
      // Set-Cookie cannot be folded into one value: each one is appended to the answer's headers.
      const cookies = response.headers['set-cookie'];
      for (const cookie of cookies === undefined ? [] : Array.isArray(cookies) ? cookies : [cookies]) ctx.response?.headers.append('set-cookie', cookie);
    };
  },
};
