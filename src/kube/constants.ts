// Names fixed by Tideway's contracts (see DESIGN.md): users' manifests and scripts rely on them.
export const CONTROLLER_NAME = 'tideway.dev/ingress-controller';
export const DEFAULT_INGRESS_CLASS = 'tideway';
/** spec.controllerName of the GatewayClasses whose Gateways Tideway serves. */
export const GATEWAY_CONTROLLER_NAME = 'tideway.dev/gateway-controller';
export const ANNOTATION_PREFIX = 'tideway.dev/';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MIDDLEWARE_API_VERSION = 'tideway.dev/v1alpha1';
