// Standalone mode's source: Kubernetes objects from manifest files, kept in step with the files.
//
// Each file is one origin in the store, so a re-read file simply replaces its objects and a deleted
// file takes its objects with it. Any file-system event (or the slow poll) leads to a full stat-only
// re-scan of every path; only files whose signature changed are read, and only files whose content
// hash changed are parsed again. Because every scan compares the whole tree with what is known, a
// missed event can delay a change but never leave stale objects behind.
//
// A file that stops parsing keeps serving the objects of its last version that parsed, with an error
// diagnostic saying so (as Traefik's file provider does): half-saved edits and typos must not take
// routes down. A file that is deleted, or that never parsed, serves nothing.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Diagnostic } from '../../kube/diagnostic.ts';
import type { ObjectStore } from '../../store/index.ts';
import type { SourceLogger } from './logger.ts';
import type { ParsedManifests } from './parse-manifests.ts';
import { ManifestSyntaxError, parseManifests } from './parse-manifests.ts';
import { PathWatcher } from './path-watcher.ts';
import { errorText, isNotFound, scanPaths } from './scan.ts';

export interface FileSourceOptions {
  /** File-system events are gathered this long before a re-scan; editors write a save in bursts. Default 50. */
  eventDelayMs?: number;
  /**
   * Re-scan this often even without events, for what a watch cannot see: network file systems, events
   * the kernel dropped, watches that could not be set up (ENOSPC). Default 2000; 0 turns polling off.
   */
  pollIntervalMs?: number;
  /**
   * false: poll only, never watch. For file systems that deliver no events at all, such as some
   * container bind mounts from a Mac or Windows host. Default true.
   */
  watch?: boolean;
}

export interface FileSource {
  /** Resolves once every path has been read for the first time and the objects are in the store. */
  readonly ready: Promise<void>;
  /** Stops watching and polling; waits for a scan in progress. The store keeps the objects. */
  close(): Promise<void>;
}

/** A path given on the command line that cannot be used at start. */
export class ManifestPathError extends Error {
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`cannot read manifests from ${path}: ${reason}`);
    this.name = 'ManifestPathError';
    this.path = path;
  }
}

/**
 * Reads the given files and directories into the store and keeps watching them. Rejects with a
 * ManifestPathError when a path does not exist or is neither a file nor a directory: a typo on the
 * command line should stop the start, not leave a gateway serving nothing. Problems inside files never
 * reject; they become diagnostics in the store.
 */
export async function startFileSource(
  paths: readonly string[],
  store: ObjectStore,
  log: SourceLogger,
  options: FileSourceOptions = {},
): Promise<FileSource> {
  const roots = [...new Set(paths.map(withoutTrailingSlash))];
  for (const root of roots) await checkRoot(root);
  return new ManifestFiles(roots, store, log, options);
}

async function checkRoot(root: string): Promise<void> {
  let info;
  try {
    info = await stat(root);
  } catch (error) {
    throw new ManifestPathError(root, isNotFound(error) ? 'no such file or directory' : errorText(error));
  }
  if (!info.isFile() && !info.isDirectory()) throw new ManifestPathError(root, 'is neither a file nor a directory');
}

interface KnownFile {
  /** scan.ts signature of the version last looked at. */
  signature: string;
  /** Content hash of that version; '' when it could not be read. */
  hash: string;
  /** The last version that parsed, still served while the file is broken. */
  lastGood: ParsedManifests | undefined;
}

class ManifestFiles implements FileSource {
  readonly ready: Promise<void>;
  readonly #roots: readonly string[];
  readonly #store: ObjectStore;
  readonly #log: SourceLogger;
  readonly #eventDelayMs: number;
  readonly #watchers: PathWatcher[];
  readonly #poll: NodeJS.Timeout | undefined;
  readonly #known = new Map<string, KnownFile>();
  /** Paths that currently carry a scan problem diagnostic as their own origin. */
  #problemPaths = new Set<string>();
  #eventTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #firstScanDone = false;

  constructor(roots: readonly string[], store: ObjectStore, log: SourceLogger, options: FileSourceOptions) {
    this.#roots = roots;
    this.#store = store;
    this.#log = log;
    this.#eventDelayMs = options.eventDelayMs ?? 50;
    this.#watchers = options.watch === false ? [] : roots.map((root) => new PathWatcher(root, () => this.#request(), log));
    const pollMs = options.pollIntervalMs ?? 2000;
    this.#poll = pollMs > 0 ? setInterval(() => this.#request(), pollMs).unref() : undefined;
    this.ready = this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#eventTimer);
    clearInterval(this.#poll);
    for (const watcher of this.#watchers) watcher.close();
    await this.#running;
  }

  /** Schedules a re-scan; events within eventDelayMs share it. */
  #request(): void {
    if (this.#closed || this.#eventTimer) return;
    this.#eventTimer = setTimeout(() => {
      this.#eventTimer = undefined;
      void this.#run();
    }, this.#eventDelayMs);
  }

  /** One scan at a time; a request during a scan runs one more scan after it. */
  #run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = this.#syncWatchers()
      .then(() => this.#scan())
      .then(() => this.#syncWatchers())
      .then((rewatched) => {
        // A path appeared or vanished, so a different directory is watched now; a change made before that
        // watch started was seen by nobody, so look once more.
        if (rewatched) this.#request();
      })
      .catch((error: unknown) => this.#log('error', 'reading manifests failed', { error: errorText(error) }))
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#closed) {
          this.#again = false;
          void this.#run();
        }
      });
    this.#running = run;
    return run;
  }

  /** True when some watcher started watching a different directory. */
  async #syncWatchers(): Promise<boolean> {
    // Watchers are set up before the first scan, so a change during that scan is not missed.
    const started = await Promise.all(this.#watchers.map((watcher) => watcher.sync()));
    return started.includes(true);
  }

  async #scan(): Promise<void> {
    const { files, problems } = await scanPaths(this.#roots);
    if (this.#closed) return;
    for (const path of this.#known.keys()) {
      if (files.has(path)) continue;
      this.#known.delete(path);
      this.#store.replaceOrigin(path, [], []);
      this.#log('info', 'manifest file removed', { file: path });
    }
    for (const path of this.#problemPaths) {
      if (!problems.has(path) && !files.has(path)) this.#store.replaceOrigin(path, [], []);
    }
    for (const [path, signature] of files) {
      if (this.#known.get(path)?.signature !== signature) await this.#read(path, signature);
      if (this.#closed) return;
    }
    for (const [path, message] of problems) {
      this.#store.replaceOrigin(path, [], [{ severity: 'error', kind: 'File', object: path, field: '', message, reason: 'ManifestPathUnreadable' }]);
      if (!this.#problemPaths.has(path)) this.#log('warn', 'cannot read manifest path', { path, error: message });
    }
    this.#problemPaths = new Set(problems.keys());
    if (!this.#firstScanDone) {
      this.#firstScanDone = true;
      const objects = [...this.#known.values()].reduce((sum, file) => sum + (file.lastGood?.objects.length ?? 0), 0);
      this.#log('info', 'manifests read', { paths: this.#roots, files: files.size, objects });
    }
  }

  async #read(path: string, signature: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // Deleted since the scan: the event for that brings the next scan, which removes it.
      if (isNotFound(error)) return;
      this.#keepLastGood(path, signature, '', '', `cannot read: ${errorText(error)}`, 'ManifestUnreadable');
      return;
    }
    if (this.#closed) return;
    const hash = createHash('sha256').update(text).digest('hex');
    const known = this.#known.get(path);
    if (known?.hash === hash) {
      known.signature = signature; // touched or rewritten with the same content
      return;
    }
    let parsed: ParsedManifests;
    try {
      parsed = parseManifests(path, text);
    } catch (error) {
      if (!(error instanceof ManifestSyntaxError)) throw error;
      const column = error.column > 1 ? ` (column ${error.column})` : '';
      this.#keepLastGood(path, signature, hash, `line ${error.line}`, `${error.message}${column}`, 'InvalidYaml');
      return;
    }
    this.#known.set(path, { signature, hash, lastGood: parsed });
    this.#store.replaceOrigin(path, parsed.objects, parsed.diagnostics);
    this.#log(this.#firstScanDone ? 'info' : 'debug', known ? 'manifest file changed' : 'manifest file read', { file: path, objects: parsed.objects.length });
  }

  #keepLastGood(path: string, signature: string, hash: string, field: string, problem: string, reason: string): void {
    const lastGood = this.#known.get(path)?.lastGood;
    this.#known.set(path, { signature, hash, lastGood });
    const count = lastGood?.objects.length ?? 0;
    const served = count > 0
      ? `still serving the ${count} object${count === 1 ? '' : 's'} of the last version of this file that could be read`
      : 'nothing from this file is served until it can be read';
    const diagnostic: Diagnostic = { severity: 'error', kind: 'File', object: path, field, message: `${problem}; ${served}`, reason };
    this.#store.replaceOrigin(path, lastGood?.objects ?? [], [diagnostic, ...(lastGood?.diagnostics ?? [])]);
    this.#log('warn', 'manifest file has errors', { file: path, line: field || undefined, error: problem, keptObjects: count });
  }
}

function withoutTrailingSlash(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? path : trimmed;
}
