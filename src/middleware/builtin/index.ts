// Every built-in middleware factory, registered by default in each MiddlewareRegistry.
import type { MiddlewareFactory } from '../types.ts';
import { affinityFactory } from './affinity.ts';
import { basicAuthFactory } from './basic-auth.ts';
import { canaryFactory } from './canary.ts';
import { compressFactory } from './compress.ts';
import { concurrencyLimitFactory } from './concurrency-limit.ts';
import { corsFactory } from './cors.ts';
import { denyFactory } from './deny.ts';
import { errorPagesFactory } from './error-pages.ts';
import { proxyRewriteFactory } from './proxy-rewrite.ts';
import { forwardAuthFactory } from './forward-auth.ts';
import { gatewayBackendsFactory } from './gateway-backends.ts';
import { gatewayRedirectFactory } from './gateway-redirect.ts';
import { gatewayRewriteFactory } from './gateway-rewrite.ts';
import { headersFactory } from './headers.ts';
import { ipFilterFactory } from './ip-filter.ts';
import { jwtFactory } from './jwt.ts';
import { urlMirrorFactory } from './url-mirror.ts';
import { upstreamHashFactory } from './upstream-hash.ts';
import { rateLimitFactory } from './rate-limit.ts';
import { redirectFactory } from './redirect.ts';
import { requestMirrorFactory } from './request-mirror.ts';
import { rewriteFactory } from './rewrite.ts';

export const BUILTIN_FACTORIES: readonly MiddlewareFactory[] = Object.freeze([
  denyFactory,
  ipFilterFactory,
  redirectFactory,
  corsFactory,
  rateLimitFactory,
  basicAuthFactory,
  jwtFactory,
  forwardAuthFactory,
  headersFactory,
  rewriteFactory,
  compressFactory,
  canaryFactory,
  affinityFactory,
  errorPagesFactory,
  proxyRewriteFactory,
  concurrencyLimitFactory,
  urlMirrorFactory,
  upstreamHashFactory,
  gatewayRedirectFactory,
  gatewayRewriteFactory,
  gatewayBackendsFactory,
  requestMirrorFactory,
]);
