// Watches one path given on the command line and calls back on any change under it. Events are only a
// hint ("look again"); the scan that follows finds out what changed, so a lost or merged event costs
// nothing as long as another one comes.
//
// What is watched is a directory, never a file: editors save by writing a new file and renaming it over
// the old one, and a watch on the old file's inode would go quiet after the first save. So a directory
// path is watched recursively (inotify on Linux, Node 22), and a file path, or a path that does not exist
// (any more), through its parent directory. After the watched directory is replaced (deleted and
// created again) the watch is re-established on the new one at the next sync().

import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SourceLogger } from './logger.ts';
import { errorText } from './scan.ts';

export class PathWatcher {
  readonly #path: string;
  readonly #onChange: () => void;
  readonly #log: SourceLogger;
  #watcher: FSWatcher | undefined;
  /** Directory, mode and inode being watched: a change of any means a new watch. */
  #watching = '';
  #lastFailure = '';
  #closed = false;

  constructor(path: string, onChange: () => void, log: SourceLogger) {
    this.#path = path;
    this.#onChange = onChange;
    this.#log = log;
  }

  /**
   * Points the watch at the right directory for what the path is now. Call after every scan. Returns
   * true when it started a new watch: whatever changed before that was not watched, so scan again.
   */
  async sync(): Promise<boolean> {
    const target = await this.#target();
    if (this.#closed || (target?.key === this.#watching && this.#watcher)) return false;
    this.#stop();
    if (!target) return false; // not even the parent exists: only polling can notice it coming back
    try {
      const watcher = watch(target.dir, { recursive: target.recursive }, () => this.#onChange());
      watcher.on('error', (error) => {
        // The directory went away, or the kernel dropped the watch: look again, and re-watch on sync().
        this.#failed(target.dir, error);
        if (this.#watcher === watcher) this.#stop();
        this.#onChange();
      });
      this.#watcher = watcher;
      this.#watching = target.key;
      this.#lastFailure = '';
      return true;
    } catch (error) {
      this.#failed(target.dir, error); // e.g. ENOSPC: out of inotify watches
      return false;
    }
  }

  close(): void {
    this.#closed = true;
    this.#stop();
  }

  async #target(): Promise<{ dir: string; recursive: boolean; key: string } | undefined> {
    const self = await stat(this.#path).catch(() => undefined);
    const recursive = self?.isDirectory() ?? false;
    const dir = recursive ? this.#path : dirname(this.#path);
    const info = recursive ? self : await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return undefined;
    return { dir, recursive, key: `${dir}|${recursive}|${info.dev}:${info.ino}` };
  }

  #failed(dir: string, error: unknown): void {
    const message = errorText(error);
    if (message === this.#lastFailure) return; // say it once, not at every sync
    this.#lastFailure = message;
    this.#log('warn', 'cannot watch manifest directory; changes are noticed by polling only', { path: this.#path, dir, error: message });
  }

  #stop(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watching = '';
  }
}
