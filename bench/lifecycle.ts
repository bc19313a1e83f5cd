// Owns every process and temp dir the harness creates, so that nothing outlives a run: not on success,
// not on an error, not on Ctrl-C. Children get their own process group (detached) so a stop reaches
// nginx's workers too, and so a terminal Ctrl-C reaches only us and we decide the order of shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ProcessExitError extends Error {
  readonly label: string;
  readonly code: number | null;
  readonly signal: string | null;
  constructor(label: string, code: number | null, signal: string | null, output: string) {
    super(`${label} exited (code ${code}, signal ${signal})${output ? `:\n${output}` : ''}`);
    this.name = 'ProcessExitError';
    this.label = label;
    this.code = code;
    this.signal = signal;
  }
}

export interface Tracked {
  readonly label: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far (the tail), for error messages */
  output(): string;
  /** resolves when the process has exited */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the whole process group is gone */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Tracked>();
const tempDirs = new Set<string>();
const OUTPUT_TAIL = 8192;

export function spawnTracked(label: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Tracked {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  // a failed spawn (ENOENT, EACCES) is reported below, on the next tick also as an 'error' event,
  // which must have a listener or it would be uncaught
  child.once('error', () => {});
  if (child.pid === undefined) throw new Error(`${label}: could not spawn ${command} (missing or not executable)`);
  const pid = child.pid;
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tracked: Tracked = {
    label,
    child,
    pid,
    output: () => tail.trim(),
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // the leader is gone; make sure nothing it started (nginx workers) is left behind
      killGroup(pid, 'SIGKILL');
      live.delete(tracked);
    },
  };
  exited.then(() => live.delete(tracked), () => {});
  live.add(tracked);
  return tracked;
}

/** Throws ProcessExitError if the process is no longer running. */
export function assertRunning(proc: Tracked): void {
  const { exitCode, signalCode } = proc.child;
  if (exitCode !== null || signalCode !== null) throw new ProcessExitError(proc.label, exitCode, signalCode, proc.output());
}

/** Rejects with ProcessExitError if the process exits before `ready` settles. */
export async function unlessExited<T>(proc: Tracked, ready: Promise<T>): Promise<T> {
  const early = proc.exited.then(() => {
    throw new ProcessExitError(proc.label, proc.child.exitCode, proc.child.signalCode, proc.output());
  });
  return Promise.race([ready, early]);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tideway-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
  removeTempDirs();
}

function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Synchronous last resort: 'exit' handlers cannot wait, so everything still alive gets SIGKILL. */
function killEverythingNow(): void {
  for (const p of live) killGroup(p.pid, 'SIGKILL');
  live.clear();
  removeTempDirs();
}

let installed = false;

/** Call once from the CLI: cleans up on normal exit, on SIGINT/SIGTERM and on an uncaught error. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverythingNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping everything\n`);
      stopAll().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1)));
    });
  }
}
