/**
 * Child processes of the harness and what /proc says about them.
 *
 * Every child is registered here and killed when the harness exits for any reason (normal end,
 * exception, Ctrl-C), so a failed run leaves no server listening. Children also get an IPC channel:
 * if the harness dies by SIGKILL, the channel closes and the preload/client exits on `disconnect`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

/** Removes `dir` when the harness exits, unless {@link releaseTempDir} was called first. */
export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
}

export function releaseTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    // A killed server may still hold its SQLite files open: removing them is fine on Linux.
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of a process in ms (10 ms resolution with CLK_TCK = 100). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond();
}

/** Resident set size of a process in KiB (VmRSS). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** The soft limit on open files of this process (inherited by children). */
export function openFileLimit(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (v: string | undefined) => (v === 'unlimited' || v === undefined ? Infinity : Number(v));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}

/** File descriptors each child needs: K sockets plus node's own, with room to spare. */
const NEEDED_FILES = 8192;

/**
 * node cannot raise its own RLIMIT_NOFILE, so when the inherited soft limit is too low for K = 1000
 * sockets, children start through `sh -c 'ulimit -n …; exec node …'`: exec keeps the pid we measure.
 */
function withFileLimit(command: string, args: string[]): { command: string; args: string[] } {
  const { soft, hard } = openFileLimit();
  if (soft >= NEEDED_FILES) return { command, args };
  const target = Math.min(hard, NEEDED_FILES);
  if (target <= soft) {
    process.stderr.write(`bench: open files limited to ${soft}; K = 1000 may fail (raise ulimit -n)\n`);
    return { command, args };
  }
  return { command: '/bin/sh', args: ['-c', `ulimit -n ${target} && exec "$0" "$@"`, command, ...args] };
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` on stdout; rejects if the child exits first or on timeout. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  send(message: object): void;
  /** Resolves with the next IPC message that satisfies `accept`. */
  nextMessage<T>(accept: (message: unknown) => message is T, timeoutMs?: number): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | string>;
}

export interface SpawnOptions {
  /** Extra node flags (e.g. --expose-gc). */
  nodeFlags?: string[];
  /** Modules loaded with --import after tsx, so they may be TypeScript. */
  preload?: string[];
  env?: Record<string, string>;
  /** Arguments after the script. */
  args?: string[];
}

const TAIL = 64 * 1024;

/** Starts `node --import tsx <flags> <script>` from the repository root, with an IPC channel. */
export function spawnNode(name: string, script: string, options: SpawnOptions = {}): Child {
  installHooks();
  const { command, args } = withFileLimit(process.execPath, [
    ...(options.nodeFlags ?? []),
    '--import',
    'tsx',
    ...(options.preload ?? []).flatMap((module) => ['--import', module]),
    script,
    ...(options.args ?? []),
  ]);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  live.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-TAIL);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-TAIL);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  const inbox: unknown[] = [];
  const waiters: Array<(message: unknown) => boolean> = [];
  child.on('message', (message: unknown) => {
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i]?.(message)) {
        waiters.splice(i, 1);
        return;
      }
    }
    inbox.push(message);
  });

  const handle: Child = {
    name,
    pid: child.pid,
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`${name}: no ${pattern} on stdout after ${timeoutMs} ms; stderr: ${err.slice(-2000)}`),
          );
        }, timeoutMs);
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(new Error(`${name} exited (${code ?? signal}) early; stderr: ${err.slice(-2000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('exit', onExit);
        };
        child.stdout?.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
    send(message) {
      child.send(message);
    },
    nextMessage<T>(accept: (message: unknown) => message is T, timeoutMs = 120_000): Promise<T> {
      const queued = inbox.findIndex((m) => accept(m));
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const waiter = (message: unknown): boolean => {
          if (!accept(message)) return false;
          cleanup();
          resolve(message);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${name}: no expected message after ${timeoutMs} ms`));
        }, timeoutMs);
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(new Error(`${name} exited (${code ?? signal}); stderr: ${err.slice(-2000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('exit', onExit);
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(waiter);
        child.once('exit', onExit);
      });
    },
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

/** Builds a type guard for IPC messages `{ type: <type>, ... }`. */
export function messageOfType<T extends { type: string }>(type: string) {
  return (message: unknown): message is T =>
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
