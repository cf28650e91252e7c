/** Runs the real server as a child process (`node --import tsx src/main.ts`), as `npm start` does. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// One process, like `npm start`: a signal (SIGKILL included) reaches the server itself.
const args = ['--import', 'tsx', path.join(root, 'src', 'main.ts')];

export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>/graphql once listening */
  url: string;
  origin: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** Starts the server and resolves once it prints its address; rejects if it exits first. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      LLM_PROVIDER: 'echo',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match?.[1]) {
        const url = match[1].replace('localhost', '127.0.0.1');
        resolve({ child, url, origin: new URL(url).origin, stdout: () => out, stderr: () => err, exited });
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${err}`)));
  });
}

/** Runs the server expecting it to exit by itself; returns its exit code and output. */
export async function runServerToExit(
  env: Record<string, string>,
): Promise<{ code: number | string; stderr: string }> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', LLM_PROVIDER: 'echo', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | string>((resolve) => {
    child.once('exit', (c, signal) => resolve(c ?? signal ?? -1));
  });
  return { code, stderr };
}
