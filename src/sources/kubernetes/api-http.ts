// HTTP to the API server for list and watch, with the kubeconfig's credentials. The library is used
// only for configuration and authentication (applyToHTTPSOptions: token, token file, exec plugin,
// client certificate, CA); requests go through one keep-alive undici Agent, whereas the library's own
// calls open a new connection (and TLS handshake) for every request.
import type { RequestOptions } from 'node:https';
import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeBadResponseError, KubeStatusError } from '../../kube/errors.ts';
import { keepAliveAgent } from '../../kube/client.ts';

const USER_AGENT = 'tideway (kubernetes source)';

export class KubeHttp {
  private readonly kc: KubeConfig;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly agent: Agent;

  private constructor(kc: KubeConfig, server: URL, agent: Agent) {
    this.kc = kc;
    this.origin = server.origin;
    this.basePath = server.pathname.replace(/\/+$/, '');
    this.agent = agent;
  }

  static async create(kc: KubeConfig): Promise<KubeHttp> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return new KubeHttp(kc, new URL(cluster.server), await keepAliveAgent(kc));
  }

  /** Auth headers for one request: tokens from files or exec plugins are refreshed by the library. */
  private async headers(): Promise<Record<string, string>> {
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT };
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    return headers;
  }

  private async request(path: string, signal: AbortSignal): Promise<Readable & { text(): Promise<string> }> {
    const res = await this.agent.request({
      origin: this.origin, path: this.basePath + path, method: 'GET', headers: await this.headers(), signal,
      // Deadlines come from the caller's signal: a watch body is silent for long stretches by design.
      bodyTimeout: 0, headersTimeout: 0,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) return res.body;
    const text = await res.body.text().catch(() => '');
    let status: Record<string, unknown> | undefined;
    try {
      status = JSON.parse(text);
    } catch {
      status = text ? { message: text.slice(0, 200) } : undefined;
    }
    throw new KubeStatusError(res.statusCode, path, status);
  }

  /** GET a JSON document; non-2xx answers throw KubeStatusError, unparsable ones KubeBadResponseError. */
  async getJson(path: string, signal: AbortSignal): Promise<unknown> {
    const body = await this.request(path, signal);
    const text = await body.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new KubeBadResponseError(`answer to ${path} is not JSON: ${JSON.stringify(text.slice(0, 80))}`, { cause: err });
    }
  }

  /** GET a streaming answer (a watch). The caller consumes and destroys the body; `signal` aborts it. */
  stream(path: string, signal: AbortSignal): Promise<Readable> {
    return this.request(path, signal);
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}
