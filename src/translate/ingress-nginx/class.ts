// ingress-nginx's class, which --ingress-nginx-compat serves too: IngressClasses whose controller is
// ingress-nginx's, and the legacy annotation kubernetes.io/ingress.class: nginx.
export const NGINX_CONTROLLER = 'k8s.io/ingress-nginx';
export const NGINX_LEGACY_CLASS = 'nginx';
