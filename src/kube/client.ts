// Kubernetes client setup. @kubernetes/client-node is imported lazily (dynamic import): loading it costs
// about 86 MB RSS and 1 s, which standalone mode (manifest files) must never pay.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestOptions } from 'node:https';
import type { Agent } from 'undici';
import type { Configuration, ConfigurationOptions, KubeConfig, ObservableMiddleware } from '@kubernetes/client-node';

export type ClientNode = typeof import('@kubernetes/client-node');

let clientNode: Promise<ClientNode> | undefined;

/** The @kubernetes/client-node module, loaded on first use. */
export function importClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

export type KubeConfigProblem = 'NotConfigured' | 'Unreadable' | 'Invalid';

/** Why no usable Kubernetes configuration could be loaded; the message says what to do. */
export class KubeConfigError extends Error {
  readonly problem: KubeConfigProblem;
  readonly source: string;

  constructor(problem: KubeConfigProblem, source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeConfigError';
    this.problem = problem;
    this.source = source;
  }
}

/** Where the service account's files are mounted in a pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface LoadKubeConfigOptions {
  /** A kubeconfig file (--kubeconfig). Without it: in-cluster credentials, else $KUBECONFIG. */
  kubeconfig?: string;
  /** Prefix before SERVICE_ACCOUNT_DIR, for tests (the library's loadFromCluster(pathPrefix)). */
  inClusterPathPrefix?: string;
}

function inPod(env: NodeJS.ProcessEnv, prefix: string): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${prefix}${SERVICE_ACCOUNT_DIR}/token`));
}

async function fromFile(file: string, k8s: ClientNode): Promise<KubeConfig> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new KubeConfigError('Unreadable', absolute, `kubeconfig ${absolute}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromString(text);
    kc.makePathsAbsolute(path.dirname(absolute));
  } catch (err) {
    throw new KubeConfigError('Invalid', absolute, `kubeconfig ${absolute}: not a valid kubeconfig: ${(err as Error).message}`, { cause: err });
  }
  return kc;
}

/** Checks what the library would otherwise only report on the first call, with a less helpful message. */
function validate(kc: KubeConfig, source: string): KubeConfig {
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context)) {
    throw new KubeConfigError('Invalid', source, `kubeconfig ${source}: current-context ${context ? `"${context}" is not among its contexts` : 'is not set'}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeConfigError('Invalid', source, `kubeconfig ${source}: context "${context}" names no cluster with a server URL`);
  }
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new KubeConfigError('Invalid', source, `kubeconfig ${source}: cluster "${cluster.name}": server "${cluster.server}" is not a URL`);
  }
  if (url.protocol === 'http:' && !cluster.skipTLSVerify) {
    throw new KubeConfigError('Invalid', source,
      `kubeconfig ${source}: cluster "${cluster.name}": plain http server ${cluster.server} is refused unless insecure-skip-tls-verify is true`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KubeConfigError('Invalid', source, `kubeconfig ${source}: cluster "${cluster.name}": server must be http(s), not ${url.protocol}`);
  }
  return kc;
}

/**
 * The Kubernetes configuration to use: the given kubeconfig file; else the pod's service account when
 * running in a pod; else the first file of $KUBECONFIG. Authentication is whatever the library supports
 * in that config: bearer token or token file (re-read when it rotates), client certificate, exec
 * credential plugins, auth providers.
 */
export async function loadKubeConfig(options: LoadKubeConfigOptions = {}): Promise<KubeConfig> {
  const env = process.env; // the library's loadFromCluster reads process.env too
  const prefix = options.inClusterPathPrefix ?? '';
  const k8s = await importClientNode();
  if (options.kubeconfig) return validate(await fromFile(options.kubeconfig, k8s), path.resolve(options.kubeconfig));
  if (inPod(env, prefix)) {
    const kc = new k8s.KubeConfig();
    kc.loadFromCluster(prefix);
    return validate(kc, 'in-cluster service account');
  }
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((f) => f !== '');
  if (fromEnv) return validate(await fromFile(fromEnv, k8s), path.resolve(fromEnv));
  throw new KubeConfigError('NotConfigured', '',
    'no Kubernetes API configured: not running in a pod (KUBERNETES_SERVICE_HOST is not set or no service account token is mounted), ' +
    'and neither --kubeconfig nor $KUBECONFIG is given. Pass --kubeconfig <file>, or --manifests <path> for standalone mode.');
}

/** The namespace of the current context (in a pod: the service account's namespace), if any. */
export function contextNamespace(kc: KubeConfig): string | undefined {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace?.trim() || undefined;
}

/**
 * Per-call options that abort a typed API call after `ms` (the library has no request timeout). The
 * middleware must return the library's Observable: a Promise-returning `pre` breaks the call.
 *   await api.readNamespacedLease({ name, namespace }, callTimeout(k8s, 5000));
 */
export function callTimeout(k8s: ClientNode, ms: number): ConfigurationOptions<ObservableMiddleware> {
  return {
    middlewareMergeStrategy: 'append',
    middleware: [{
      pre: (ctx) => {
        ctx.setSignal(AbortSignal.timeout(ms));
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    }],
  };
}

/**
 * A keep-alive undici Agent with the kubeconfig's TLS settings (CA, client certificate, server name).
 * Credentials are not part of it: they go in each request's headers.
 */
export async function keepAliveAgent(kc: KubeConfig, connections?: number): Promise<Agent> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const { Agent } = await import('undici');
  return new Agent({
    keepAliveTimeout: 30_000,
    ...(connections === undefined ? {} : { connections }),
    connect: {
      ca: opts.ca, cert: opts.cert, key: opts.key, servername: opts.servername,
      ...(opts.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
      keepAlive: true, keepAliveInitialDelay: 30_000,
    },
  });
}

/** Makes typed API clients whose calls all go through one connection pool of their own. */
export interface ApiConnection {
  client<T>(type: new (config: Configuration) => T): T;
  close(): Promise<void>;
}

/**
 * Typed API clients on a dedicated keep-alive connection pool. The library otherwise opens a new
 * connection (and TLS handshake) for every call, so a busy writer (status at 20 per second) pays a
 * handshake per write, and a call that must not wait (a Lease renewal) competes with all of them.
 * Authentication stays the library's (tokens, token files, exec plugins); only the dispatcher changes.
 */
export async function dedicatedConnection(kc: KubeConfig, connections: number): Promise<ApiConnection> {
  const k8s = await importClientNode();
  const agent = await keepAliveAgent(kc, connections);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError('Invalid', '', 'kubeconfig has no current cluster');
  const useAgent: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setDispatcher(agent);
      return new k8s.Observable(Promise.resolve(ctx));
    },
    post: (res) => new k8s.Observable(Promise.resolve(res)),
  };
  return {
    client: (type) => new type(k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      middleware: [useAgent],
    })),
    close: () => agent.destroy(),
  };
}
