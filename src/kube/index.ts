// The kube room's door: Kubernetes object types and names, diagnostics, client setup and error
// classification. Nothing here loads @kubernetes/client-node until loadKubeConfig()/importClientNode().
export * from './types.ts';
export * from './constants.ts';
export * from './diagnostic.ts';
export { callTimeout, contextNamespace, importClientNode, KubeConfigError, loadKubeConfig, SERVICE_ACCOUNT_DIR } from './client.ts';
export type { ClientNode, KubeConfigProblem, LoadKubeConfigOptions } from './client.ts';
export { classifyKubeError, KubeBadResponseError, KubeStatusError } from './errors.ts';
export type { KubeErrorInfo, KubeErrorKind } from './errors.ts';
