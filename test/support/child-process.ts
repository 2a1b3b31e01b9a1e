import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A child process running a TypeScript file of this repository, with its stdout lines and stderr. */
export interface TypeScriptChild {
  process: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves with the first stdout line that matches, or rejects when the child exits first. */
  lineMatching(pattern: RegExp): Promise<string>;
  /** Resolves when the child has exited and been reaped. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `node -r @swc-node/register <file> ...args`: the sources are compiled in memory as they
 * load, so the child runs the same code as the tests, with no build step before them.
 */
export function spawnTypeScript(file: string, args: string[]): TypeScriptChild {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', file, ...args], {
    cwd: REPOSITORY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`child exited (${code ?? signal}) before printing ${waiter.pattern}: ${stderr}`));
      resolve({ code, signal });
    });
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // Only lines ended by a newline count: a line cut short by the kill is never reported.
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    if (end < 0) return;
    for (const line of text.slice(0, end).split('\n')) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    lineMatching(pattern) {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) return Promise.resolve(found);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`child exited before printing ${pattern}: ${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}
