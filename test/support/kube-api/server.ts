// A Kubernetes API server for tests: the real wire protocol for what Tideway uses (see DESIGN.md,
// "Testing the Kubernetes side"), so that @kubernetes/client-node and Tideway's own list/watch talk to
// it exactly as to a cluster. Test controls are methods, never HTTP: create/update/delete objects,
// cut watches, compact the history, stop and restart on the same port, inject failures, read the log.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { ObjectTable, objectKey } from './object-table.ts';
import { ResourceOperations, PATCH_TYPES } from './operations.ts';
import { apiVersionOf, RESOURCES, type JsonObject, type ResourceDef } from './resources.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Matcher } from './selectors.ts';
import { StatusError, statusErrors, statusForCode } from './status.ts';
import { WatchStream } from './watch-stream.ts';
import { discoveryDocument } from './discovery.ts';
import { selfSignedCertificate, type CertificatePair } from './tls.ts';

export interface KubeApiServerOptions {
  /** Bearer tokens accepted (default: one random token, see `token`). */
  tokens?: string[];
  /**
   * Interval of BOOKMARK events for watches that allow them. Off by default, as a real API server
   * behaves on a quiet resource: no bookmark within 90 s on a watch that asked for them (measured on
   * v1.36), so a client must not count on a beat. Tests of bookmark handling turn it on.
   */
  bookmarkIntervalMs?: number;
  /** Changes kept for watch resumption and continue tokens; older ones answer 410 Expired. */
  historyLimit?: number;
  /** Whether the Middleware CustomResourceDefinition is installed (default true). */
  middlewareCrdInstalled?: boolean;
  /** Whether the Gateway API CustomResourceDefinitions are installed (default true). */
  gatewayApiCrdsInstalled?: boolean;
  /** Serve HTTPS with a fresh self-signed certificate; the kubeconfig then carries it as the CA. */
  tls?: boolean;
  /**
   * Accept loopback addresses (127.0.0.0/8, ::1) in EndpointSlices. A real API server refuses them
   * (422); gateway tests need them, since their backends can only listen on loopback. Default false.
   */
  acceptLoopbackEndpoints?: boolean;
}

export type Verb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete' | 'discovery' | 'health';

/** One request, as the log keeps it for assertions. */
export interface RequestRecord {
  method: string;
  path: string;
  query: URLSearchParams;
  verb: Verb | undefined;
  group: string | undefined;
  resource: string | undefined;
  subresource: string | undefined;
  namespace: string | undefined;
  name: string | undefined;
  token: string | undefined;
  userAgent: string | undefined;
  contentType: string | undefined;
  /** HTTP status once answered (a watch: 200 as soon as its stream opened). */
  code: number | undefined;
}

export type RequestFilter = Partial<Pick<RequestRecord, 'verb' | 'resource' | 'subresource' | 'namespace' | 'name' | 'method'>>;

export interface ObjectRef { apiVersion: string; kind: string; namespace?: string; name: string }

interface Injection { remaining: number; code: number | 'garbage'; filter: RequestFilter }

interface ResourceRoute { def: ResourceDef; namespace: string | undefined; name: string | undefined; subresource: string | undefined }

const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const TEST_USER = 'system:serviceaccount:tideway:tideway';

function matchesFilter(r: RequestRecord, f: RequestFilter): boolean {
  return Object.entries(f).every(([k, v]) => v === undefined || (r as any)[k] === v);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString());
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return parsed;
  } catch { /* answered below */ }
  throw statusErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

export class KubeApiServer {
  readonly tokens: string[];
  private readonly table: ObjectTable;
  private readonly ops: ResourceOperations;
  private readonly bookmarkIntervalMs: number | undefined;
  private server: http.Server | https.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<WatchStream>();
  private injections: Injection[] = [];
  private readonly delays: { ms: number; filter: RequestFilter }[] = [];
  private readonly forbidden = new Set<string>();
  private crdInstalled: boolean;
  private gatewayApiInstalled: boolean;
  private boundPort = 0;
  /** The server's certificate when serving HTTPS (also the CA a client must trust). */
  readonly certificate: CertificatePair | undefined;
  readonly requests: RequestRecord[] = [];
  /** Every BOOKMARK sent: resource (plural) and the resourceVersion it carried. */
  readonly bookmarks: { resource: string; resourceVersion: number }[] = [];

  constructor(options: KubeApiServerOptions = {}) {
    this.tokens = options.tokens ?? [`test-token-${Math.random().toString(36).slice(2)}`];
    this.table = new ObjectTable(options.historyLimit ?? 1000);
    this.ops = new ResourceOperations(this.table, { acceptLoopbackEndpoints: options.acceptLoopbackEndpoints ?? false });
    this.bookmarkIntervalMs = options.bookmarkIntervalMs;
    this.crdInstalled = options.middlewareCrdInstalled ?? true;
    this.gatewayApiInstalled = options.gatewayApiCrdsInstalled ?? true;
    this.certificate = options.tls ? selfSignedCertificate() : undefined;
    this.table.onChange((change) => {
      for (const w of this.watches) if (w.def.storage === change.storage) w.deliver(change);
    });
  }

  get token(): string {
    return this.tokens[0]!;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.certificate ? 'https' : 'http'}://127.0.0.1:${this.boundPort}`;
  }

  /** The current global resourceVersion (etcd's revision). */
  get resourceVersion(): string {
    return String(this.table.currentRv());
  }

  /**
   * A kubeconfig (JSON, which is YAML) that points a client at this server with a bearer token. Over
   * plain http the library insists on insecure-skip-tls-verify; over https it trusts `ca` (default: the
   * server's own certificate).
   */
  kubeconfig(options: { token?: string; namespace?: string; ca?: string } = {}): string {
    const ca = options.ca ?? this.certificate?.cert;
    const cluster = this.certificate
      ? { server: this.url, 'certificate-authority-data': Buffer.from(ca!).toString('base64') }
      : { server: this.url, 'insecure-skip-tls-verify': true };
    return JSON.stringify({
      apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: 'test', user: { token: options.token ?? this.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', ...(options.namespace ? { namespace: options.namespace } : {}) } }],
      'current-context': 'test',
    }, null, 2);
  }

  /** Listens on 127.0.0.1: a free port the first time, the same port after stop(). */
  async start(): Promise<void> {
    if (this.server) return;
    // Watches left open by stop({ leaveWatchesOpen }) belonged to the old process: they end now.
    for (const w of [...this.watches]) if (w.silent) w.cut();
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const server = this.certificate ? https.createServer({ ...this.certificate }, handler) : http.createServer(handler);
    server.on(this.certificate ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.boundPort !== 0) this.table.compact(); // a restarted server's watch cache starts fresh
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * The API server goes away. By default every connection is destroyed (a crash). With
   * `leaveWatchesOpen`, open watches stay connected but silent, as after SIGTERM. Either way the
   * server that start() brings back has a fresh watch cache: resuming from an older
   * resourceVersion gets 410 Expired, as after a real restart.
   */
  async stop(options: { leaveWatchesOpen?: boolean } = {}): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const watchSockets = new Set<Socket | null>([...this.watches].map((w) => w.socket));
    for (const w of this.watches) {
      if (options.leaveWatchesOpen) w.silent = true;
    }
    for (const socket of this.sockets) {
      if (!(options.leaveWatchesOpen && watchSockets.has(socket))) socket.destroy();
    }
    if (!options.leaveWatchesOpen) await closed;
  }

  /** Stops for good: every connection closed. */
  async close(): Promise<void> {
    await this.stop();
    for (const socket of this.sockets) socket.destroy();
    for (const w of this.watches) w.cut();
  }

  // ---- test controls -------------------------------------------------------------------------

  private defFor(apiVersion: string, kind: string): ResourceDef {
    const def = RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
    if (!def) throw new Error(`the test server does not serve ${apiVersion} ${kind}`);
    return def;
  }

  /** Creates an object as given (status included), as if a controller had written it. */
  create<T extends JsonObject>(obj: T): T {
    const def = this.defFor(obj.apiVersion, obj.kind);
    return this.ops.create(def, obj.metadata?.namespace, obj, { direct: true }) as T;
  }

  /** Replaces an object unconditionally (spec and status); a no-op update changes nothing. */
  update<T extends JsonObject>(obj: T): T {
    const def = this.defFor(obj.apiVersion, obj.kind);
    return this.ops.update(def, obj.metadata?.namespace, obj.metadata.name, obj, { direct: true }) as T;
  }

  /** Creates or replaces. */
  apply<T extends JsonObject>(obj: T): T {
    return this.get(this.refOf(obj)) ? this.update(obj) : this.create(obj);
  }

  delete(ref: ObjectRef | JsonObject): JsonObject {
    const r = 'metadata' in ref ? this.refOf(ref) : (ref as ObjectRef);
    return this.ops.delete(this.defFor(r.apiVersion, r.kind), r.namespace, r.name);
  }

  get(ref: ObjectRef): JsonObject | undefined {
    try {
      return this.ops.get(this.defFor(ref.apiVersion, ref.kind), ref.namespace, ref.name);
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    }
  }

  list(apiVersion: string, kind: string, namespace?: string): JsonObject[] {
    return this.ops.list(this.defFor(apiVersion, kind), namespace);
  }

  private refOf(obj: JsonObject): ObjectRef {
    return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name };
  }

  /**
   * Destroys every open watch connection. With `midLine`, each watch is cut in the middle of the next
   * line it writes (the next change or bookmark), so the client sees half a JSON line, then EOF.
   */
  cutWatches(options: { midLine?: boolean } = {}): void {
    for (const w of [...this.watches]) w.cut(options.midLine);
  }

  /** Forgets the change history: resuming a watch from before now gets 410 Expired. */
  compact(): void {
    this.table.compact();
  }

  /** The next `n` API requests (matching `filter`) are answered with a Status of `code`. */
  failNext(n: number, code = 500, filter: RequestFilter = {}): void {
    this.injections.push({ remaining: n, code, filter });
  }

  /** The next `n` API requests (matching `filter`) are answered 200 with invalid JSON. */
  garbageNext(n = 1, filter: RequestFilter = {}): void {
    this.injections.push({ remaining: n, code: 'garbage', filter });
  }

  /**
   * Requests matching `filter` are answered `ms` later, as by an API server under load (a real one took
   * 23 s to answer a list while a controller flooded it with writes); `ms` 0 removes the delay.
   */
  slowDown(ms: number, filter: RequestFilter = {}): void {
    const key = JSON.stringify(filter);
    const others = this.delays.filter((d) => JSON.stringify(d.filter) !== key);
    this.delays.splice(0, this.delays.length, ...others, ...(ms > 0 ? [{ ms, filter }] : []));
  }

  /** Every request on `resource` (plural, e.g. "secrets") gets 403 Forbidden, as with missing RBAC. */
  forbid(resource: string, forbidden = true): void {
    if (forbidden) this.forbidden.add(resource);
    else this.forbidden.delete(resource);
  }

  /** Installs or removes the Middleware CRD; removing it deletes every Middleware, as on a cluster. */
  setMiddlewareCrdInstalled(installed: boolean): void {
    this.uninstall(installed, 'tideway.dev');
    this.crdInstalled = installed;
  }

  /** Installs or removes the Gateway API CRDs; removing them deletes their objects, as on a cluster. */
  setGatewayApiCrdsInstalled(installed: boolean): void {
    this.uninstall(installed, 'gateway.networking.k8s.io');
    this.gatewayApiInstalled = installed;
  }

  private uninstall(installed: boolean, group: string): void {
    if (installed) return;
    for (const w of [...this.watches]) if (w.def.crd && w.def.group === group) w.end();
    for (const def of RESOURCES.filter((r) => r.crd && r.group === group)) {
      for (const obj of this.ops.list(def, undefined)) this.ops.delete(def, obj.metadata.namespace, obj.metadata.name);
    }
  }

  /** Requests matching `filter`. */
  requestsMatching(filter: RequestFilter = {}): RequestRecord[] {
    return this.requests.filter((r) => matchesFilter(r, filter));
  }

  count(filter: RequestFilter = {}): number {
    return this.requestsMatching(filter).length;
  }

  /** Watches currently open (optionally of one resource). */
  openWatches(resource?: string): number {
    return [...this.watches].filter((w) => !w.closed && !w.silent && (resource === undefined || w.def.plural === resource)).length;
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private served(): readonly ResourceDef[] {
    return RESOURCES.filter((r) => !r.crd || (r.group === 'gateway.networking.k8s.io' ? this.gatewayApiInstalled : this.crdInstalled));
  }

  private route(segments: string[]): { group: string; version: string; rest: string[] } | undefined {
    if (segments[0] === 'api' && segments.length >= 3) return { group: '', version: segments[1]!, rest: segments.slice(2) };
    if (segments[0] === 'apis' && segments.length >= 4) return { group: segments[1]!, version: segments[2]!, rest: segments.slice(3) };
    return undefined;
  }

  private resourceRoute(pathname: string): ResourceRoute | undefined {
    const r = this.route(pathname.split('/').filter(Boolean).map(decodeURIComponent));
    if (!r) return undefined;
    const namespaced = r.rest[0] === 'namespaces' && r.rest.length >= 3;
    const [plural, name, subresource, ...extra] = namespaced ? r.rest.slice(2) : r.rest;
    const def = this.served().find((d) => d.group === r.group && d.version === r.version && d.plural === plural);
    if (!def || extra.length > 0) return undefined;
    if (namespaced !== def.namespaced && (name !== undefined || !def.namespaced)) return undefined;
    if (subresource !== undefined && !(subresource === 'status' && def.statusSubresource)) return undefined;
    return { def, namespace: namespaced ? r.rest[1] : undefined, name, subresource };
  }

  private verbOf(method: string, route: ResourceRoute, query: URLSearchParams): Verb | undefined {
    const watch = query.get('watch') === 'true' || query.get('watch') === '1';
    if (route.name === undefined) {
      if (method === 'GET') return watch ? 'watch' : 'list';
      if (method === 'POST') return 'create';
      return undefined;
    }
    return ({ GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, Verb>)[method];
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const route = this.resourceRoute(url.pathname);
    const record: RequestRecord = {
      method: req.method ?? 'GET', path: url.pathname, query: url.searchParams,
      verb: route ? this.verbOf(req.method ?? 'GET', route, url.searchParams) : undefined,
      group: route?.def.group, resource: route?.def.plural, subresource: route?.subresource,
      namespace: route?.namespace, name: route?.name, token,
      userAgent: req.headers['user-agent'], contentType: req.headers['content-type'], code: undefined,
    };
    this.requests.push(record);
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((code: number, ...rest: any[]) => {
      record.code = code;
      return writeHead(code, ...rest);
    }) as typeof res.writeHead;
    this.dispatch(req, res, url, route, record).catch((err) => {
      const status = err instanceof StatusError ? err : statusErrors.internal(String(err?.stack ?? err));
      if (!res.headersSent) sendJson(res, status.code, status.status);
      else res.destroy();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, url: URL, route: ResourceRoute | undefined, record: RequestRecord): Promise<void> {
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      record.verb = 'health';
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (!record.token || !this.tokens.includes(record.token)) throw statusErrors.unauthorized();
    if (!route) {
      const doc = req.method === 'GET' ? discoveryDocument(url.pathname, this.served(), `127.0.0.1:${this.boundPort}`) : undefined;
      if (!doc) throw statusErrors.pathNotFound();
      record.verb = 'discovery';
      sendJson(res, 200, doc);
      return;
    }
    const verb = record.verb;
    if (!verb) throw statusErrors.methodNotAllowed(req.method ?? '');
    if (this.forbidden.has(route.def.plural)) throw statusErrors.forbidden(route.def, verb, route.namespace, TEST_USER);
    const delay = this.delays.find((d) => matchesFilter(record, d.filter));
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
    const injection = this.injections.find((i) => matchesFilter(record, i.filter));
    if (injection) {
      if (--injection.remaining <= 0) this.injections.splice(this.injections.indexOf(injection), 1);
      if (injection.code !== 'garbage') throw statusForCode(injection.code);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(verb === 'watch' ? '{"type":"ADDED","object":{"kind":\n' : '{"kind":"List","items":[{"metadata":');
      return;
    }
    const q = url.searchParams;
    const dryRun = q.get('dryRun') === 'All';
    const { def, namespace, name } = route;
    switch (verb) {
      case 'list': return this.serveList(res, route, q);
      case 'watch': return this.serveWatch(res, route, q);
      case 'get': return sendJson(res, 200, this.ops.get(def, namespace, name!));
      case 'create': {
        if (def.namespaced && namespace === undefined) throw statusErrors.methodNotAllowed('POST');
        return sendJson(res, dryRun ? 200 : 201, this.ops.create(def, namespace, await this.readJson(req), { dryRun }));
      }
      case 'update':
        return sendJson(res, 200, this.ops.update(def, namespace, name!, await this.readJson(req), { dryRun, status: route.subresource === 'status' }));
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const type = PATCH_TYPES[contentType];
        if (!type) throw statusErrors.unsupportedMediaType(contentType);
        const text = await this.readBody(req);
        let patch: unknown;
        try {
          patch = type === 'apply' ? parseYaml(text) : JSON.parse(text);
        } catch (err) {
          throw statusErrors.badRequest(`error decoding patch: ${(err as Error).message}`);
        }
        const fieldManager = q.get('fieldManager') ?? undefined;
        return sendJson(res, 200, this.ops.patch(def, namespace, name!, type, patch, { dryRun, status: route.subresource === 'status', fieldManager }));
      }
      case 'delete': {
        const text = await this.readBody(req);
        const options = text ? JSON.parse(text) : {};
        const deleted = this.ops.delete(def, namespace, name!, { preconditions: options.preconditions, dryRun });
        if (def.deleteReturnsObject) return sendJson(res, 200, deleted);
        return sendJson(res, 200, {
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
          details: { name: name!, group: def.group || undefined, kind: def.plural, uid: deleted.metadata.uid },
        });
      }
      default:
        throw statusErrors.methodNotAllowed(req.method ?? '');
    }
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async readJson(req: IncomingMessage): Promise<JsonObject> {
    const text = await this.readBody(req);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw statusErrors.badRequest(`the body of the request was in an unknown format: ${(err as Error).message}`);
    }
  }

  private matcher(def: ResourceDef, q: URLSearchParams): Matcher {
    try {
      const labels = parseLabelSelector(q.get('labelSelector'));
      const fields = parseFieldSelector(q.get('fieldSelector'), ['metadata.name', 'metadata.namespace', ...def.extraFieldLabels]);
      return (obj) => labels(obj) && fields(obj);
    } catch (err) {
      if (err instanceof SelectorError) throw statusErrors.badRequest(err.message);
      throw err;
    }
  }

  private serveList(res: ServerResponse, route: ResourceRoute, q: URLSearchParams): void {
    const { def, namespace } = route;
    const matches = this.matcher(def, q);
    const limit = Number(q.get('limit') ?? 0);
    let atRv = this.table.currentRv();
    let start = '';
    const token = q.get('continue');
    if (token) {
      ({ rv: atRv, start } = decodeContinue(token));
      if (atRv < this.table.horizon) {
        throw statusErrors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
    }
    const view = (stored: JsonObject): JsonObject => def.toView?.(stored) ?? stored;
    const inScope = (stored: JsonObject): boolean =>
      (namespace === undefined || stored.metadata?.namespace === namespace) && objectKey(stored) > start && matches(view(stored));
    let items: JsonObject[];
    const metadata: JsonObject = { resourceVersion: String(atRv) };
    if (limit > 0) {
      const page = this.ops.listPage(def, atRv, inScope, limit);
      items = page.items;
      if (page.remaining > 0) {
        metadata.continue = encodeContinue(atRv, objectKey(items[items.length - 1]!));
        if (!q.get('labelSelector') && !q.get('fieldSelector')) metadata.remainingItemCount = page.remaining;
      }
    } else {
      items = this.ops.list(def, namespace, atRv).filter((o) => matches(o) && objectKey(o) > start);
    }
    if (!def.itemsCarryTypeMeta) {
      for (const item of items) {
        delete item.kind;
        delete item.apiVersion;
      }
    }
    sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items });
  }

  private serveWatch(res: ServerResponse, route: ResourceRoute, q: URLSearchParams): void {
    const { def, namespace } = route;
    const matches = this.matcher(def, q);
    const rvParam = q.get('resourceVersion') ?? '';
    const fromRv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (fromRv !== undefined && !(Number.isInteger(fromRv) && fromRv >= 0)) {
      throw statusErrors.badRequest(`resourceVersion: Invalid value: "${rvParam}": must be an unsigned integer`);
    }
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? 0);
    const stream = new WatchStream(res, {
      def, namespace, matches,
      toView: (stored) => def.toView?.(stored) ?? stored,
      bookmarkIntervalMs: q.get('allowWatchBookmarks') === 'true' ? this.bookmarkIntervalMs : undefined,
      timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : undefined,
      currentRv: () => this.table.currentRv(),
    });
    this.watches.add(stream);
    stream.onClose.push(() => this.watches.delete(stream));
    stream.onBookmark = (resourceVersion) => this.bookmarks.push({ resource: def.plural, resourceVersion });
    if (fromRv === undefined) {
      // No resourceVersion: the current state as synthetic ADDED events, then changes.
      for (const obj of this.table.list(def.storage)) stream.deliver({ rv: 0, storage: def.storage, type: 'ADDED', object: obj, prev: undefined });
    } else if (fromRv < this.table.horizon) {
      stream.error(statusErrors.tooOldResourceVersion(fromRv, this.table.horizon + 1).status);
    } else {
      for (const change of this.table.changesSince(def.storage, fromRv)) stream.deliver(change);
    }
  }
}
