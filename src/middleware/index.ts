// The middleware room's door. The proxy composes and runs chains; the runtime loads plugins and keeps a
// MiddlewareRuntime per worker; translate() uses the pure door, ./config/index.ts, instead of this one.
export type { BodyTransform, Context, HeaderMap, Middleware, MiddlewareEnvironment, MiddlewareFactory, Next, RequestView, ResponseView, UpstreamChoice } from './types.ts';
export { MiddlewareConfigError } from './types.ts';
export { compose, NextCalledTwiceError, type Chain, type Terminal } from './compose.ts';
export { FlatHeaderMap, InvalidHeaderError, checkHeader } from './header-map.ts';
export { buildChain, defaultRegistry, formatChainError, MiddlewareRegistry, MiddlewareRegistrationError, type BuiltChain, type ChainBuildError } from './registry.ts';
export { MiddlewareRuntime, type MiddlewareRuntimeOptions, type SnapshotChains, type LogFunction } from './runtime.ts';
export { loadPlugins, registerPlugin, PluginLoadError, type PluginApi, type PluginEntry } from './plugins.ts';
export { BucketBank, LeasedBudget, type RateBudget, type RateGrant, type RateLease, type RateLimitSpec } from './rate-budget/index.ts';
