// error-pages: an upstream answer whose status is listed keeps its status but gets the gateway's
// plain-text body ("502 Bad Gateway\n") instead of its own: the upstream's headers that describe its
// body go, and the body is dropped as it streams. Only routes that ask for it pay the await.
import { parseErrorPagesConfig } from '../config/error-pages.ts';
import type { BodyTransform, MiddlewareFactory } from '../types.ts';
import { statusBody } from './answer.ts';

const BODY_HEADERS = ['content-encoding', 'content-length', 'content-range', 'etag', 'last-modified'];
const EMPTY = Buffer.alloc(0);
const bodies = new Map<number, Buffer>();

function replacement(status: number): BodyTransform {
  let body = bodies.get(status);
  if (body === undefined) {
    body = Buffer.from(statusBody(status));
    bodies.set(status, body);
  }
  const text = body;
  return { write: () => EMPTY, end: () => text };
}

export const errorPagesFactory: MiddlewareFactory = {
  type: 'error-pages',
  create(config) {
    const { statuses } = parseErrorPagesConfig(config);
    return async (ctx, next) => {
      await next();
      const response = ctx.response;
      if (response === null || !statuses.has(response.status)) return;
      for (const name of BODY_HEADERS) response.headers.delete(name);
      response.headers.set('content-type', 'text/plain; charset=utf-8');
      response.bodyTransform = replacement(response.status);
    };
  },
};
