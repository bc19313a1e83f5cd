// Finds the manifest files under the paths given on the command line, with a cheap signature per file
// (inode, size, times) so that the caller re-reads only files that changed. Stat-only: a scan of a few
// hundred files costs little, which is why every file-system event simply triggers a full re-scan.

import { readdir, realpath, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { extname, join } from 'node:path';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface ScanResult {
  /** Manifest file path -> signature; changes whenever the file's content may have changed. */
  files: Map<string, string>;
  /** Paths that could not be scanned -> why (a given path that vanished, an unreadable directory). */
  problems: Map<string, string>;
}

export async function scanPaths(roots: readonly string[]): Promise<ScanResult> {
  const result: ScanResult = { files: new Map(), problems: new Map() };
  const visitedDirs = new Set<string>();
  for (const root of roots) {
    const info = await statOrProblem(root, result);
    if (!info) continue;
    if (info.isDirectory()) await walk(root, visitedDirs, result);
    // A file named on the command line is read whatever its extension: the user asked for it.
    else if (info.isFile()) result.files.set(root, signature(info));
    else result.problems.set(root, 'is neither a file nor a directory');
  }
  return result;
}

/**
 * Reads directories recursively. Skips dotfiles and dot-directories: editor swap files, `.git`, and the
 * `..data` directories of ConfigMap volumes (whose files are reached through the symlinks next to them).
 * Follows symlinks, but enters each real directory once, so a symlink loop ends.
 */
async function walk(dir: string, visitedDirs: Set<string>, result: ScanResult): Promise<void> {
  let real: string;
  let names: string[];
  try {
    real = await realpath(dir);
    if (visitedDirs.has(real)) return;
    visitedDirs.add(real);
    names = await readdir(dir);
  } catch (error) {
    if (!isNotFound(error)) result.problems.set(dir, `cannot read directory: ${errorText(error)}`);
    return;
  }
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let info: BigIntStats;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      // Gone since readdir, or a dangling symlink: nothing to read. Anything else is worth saying.
      if (!isNotFound(error)) result.problems.set(path, `cannot read: ${errorText(error)}`);
      continue;
    }
    if (info.isDirectory()) await walk(path, visitedDirs, result);
    else if (info.isFile() && MANIFEST_EXTENSIONS.has(extname(name).toLowerCase())) result.files.set(path, signature(info));
  }
}

async function statOrProblem(root: string, result: ScanResult): Promise<BigIntStats | undefined> {
  try {
    return await stat(root, { bigint: true });
  } catch (error) {
    result.problems.set(root, isNotFound(error)
      ? 'does not exist (any more); its objects are no longer served, and it is read again when it reappears'
      : `cannot read: ${errorText(error)}`);
    return undefined;
  }
}

/** Editors save by rename (new inode) or in place (new size or mtime); ctime catches a same-size in-place write. */
function signature(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

export function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
