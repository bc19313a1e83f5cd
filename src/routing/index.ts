// The routing room's door: the route table as data (spec.ts) and its precompiled matcher.
export type { BackendProtocol, BackendSpec, BackendTlsSpec, EndpointSpec, GatewayRouteInfo, MiddlewareSpec, ValueMatchSpec, PathKind, RouteOptions, RouteSpec, RouteTableSpec, TlsCertificateSpec } from './spec.ts';
export { compileRouteTable, RouteTable, type CompiledHost, type CompiledRoute, type TablePatch } from './route-table.ts';
export { RouteCompileError } from './path-matcher.ts';
export { compilePathRegex } from './path-regex.ts';
export { prefixKey } from './path-tree.ts';
export { hostNameEnd } from './host-index.ts';
