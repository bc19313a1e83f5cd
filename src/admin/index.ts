// The admin room's door: the admin listener, the /api handlers, /metrics and the dashboard.
export { AdminServer, json, text, type AdminHandler, type AdminResponse, type ReadinessSource } from './server.ts';
export { mountAdminApi, parseExplainQuery, type AdminApiSources } from './api.ts';
export { explain, explainTableOf, type ExplainQuery, type ExplainResult, type ExplainTable } from './explain.ts';
export { gatewayRouteView, routesView, type GatewayRouteView, type RoutesView, type RouteView, type BackendView } from './routes-view.ts';
export { metricsHandler, type MetricsMode } from './metrics-endpoint.ts';
export { mountDashboard, DashboardAssetsError } from './dashboard.ts';
