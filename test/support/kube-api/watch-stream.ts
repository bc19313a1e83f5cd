// One open watch: a chunked 200 response with one JSON event per line, as the real server streams it.
// Events for objects that start or stop matching the selectors become ADDED/DELETED, as on a cluster.
import type { ServerResponse } from 'node:http';
import type { Change } from './object-table.ts';
import { apiVersionOf, type JsonObject, type ResourceDef } from './resources.ts';
import type { Matcher } from './selectors.ts';

export interface WatchOptions {
  def: ResourceDef;
  namespace: string | undefined;
  matches: Matcher;
  toView: (stored: JsonObject) => JsonObject;
  bookmarkIntervalMs: number | undefined;
  timeoutMs: number | undefined;
  currentRv: () => number;
}

export class WatchStream {
  readonly def: ResourceDef;
  private readonly res: ServerResponse;
  private readonly options: WatchOptions;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Cut the connection in the middle of the next line written. */
  private cutMidLine = false;
  /** The server is "gone" but keeps this stream open without writing (as after SIGTERM). */
  silent = false;
  closed = false;
  readonly onClose: Array<() => void> = [];
  onBookmark: ((resourceVersion: number) => void) | undefined;

  constructor(res: ServerResponse, options: WatchOptions) {
    this.res = res;
    this.def = options.def;
    this.options = options;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    res.on('close', () => this.finish());
    if (options.bookmarkIntervalMs) {
      this.timers.push(setInterval(() => this.bookmark(), options.bookmarkIntervalMs));
    }
    if (options.timeoutMs) this.timers.push(setTimeout(() => this.end(), options.timeoutMs));
  }

  private inScope(obj: JsonObject | undefined): boolean {
    if (!obj) return false;
    if (this.options.namespace !== undefined && obj.metadata?.namespace !== this.options.namespace) return false;
    return this.options.matches(this.options.toView(obj));
  }

  get socket(): ServerResponse['socket'] {
    return this.res.socket;
  }

  /** Sends one stored change, translated for this watch's selectors. */
  deliver(change: Change): void {
    const before = change.type !== 'ADDED' && this.inScope(change.prev);
    const after = change.type !== 'DELETED' && this.inScope(change.object);
    if (after) this.send(before ? 'MODIFIED' : 'ADDED', change.object);
    else if (before) this.send('DELETED', change.object);
  }

  send(type: string, stored: JsonObject): void {
    this.write({ type, object: this.options.toView(stored) });
  }

  bookmark(): void {
    if (this.closed || this.silent) return;
    this.onBookmark?.(this.options.currentRv());
    this.write({
      type: 'BOOKMARK',
      object: { kind: this.def.kind, apiVersion: apiVersionOf(this.def), metadata: { resourceVersion: String(this.options.currentRv()), creationTimestamp: null } },
    });
  }

  /** An ERROR event carrying a Status, then the end of the stream (what the server does for 410). */
  error(status: JsonObject): void {
    this.write({ type: 'ERROR', object: status });
    this.end();
  }

  private write(event: JsonObject): void {
    if (this.closed || this.silent || this.res.writableEnded) return;
    const line = `${JSON.stringify(event)}\n`;
    if (this.cutMidLine) {
      this.silent = true; // nothing after the half line
      this.res.write(line.slice(0, Math.floor(line.length / 2)), () => this.cut());
      return;
    }
    this.res.write(line);
  }

  /** Ends the stream cleanly (a server-side timeout); a silent stream belongs to a server that is gone. */
  end(): void {
    if (!this.closed && !this.silent && !this.res.writableEnded) this.res.end();
  }

  /** Destroys the connection; with `midLine`, only after writing half of the next line. */
  cut(midLine = false): void {
    if (this.closed) return;
    if (midLine) {
      this.cutMidLine = true;
      return;
    }
    this.res.socket?.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const fn of this.onClose) fn();
  }
}
