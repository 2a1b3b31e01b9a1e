#!/usr/bin/env node
// The `chainstore` bin: wires the process (argv, streams, signals, exit code) to run().
import { once } from 'node:events';
import { CliIo } from './cli-io';
import { run } from './run';

function main(): void {
  const argv = process.argv.slice(2);
  const controller = new AbortController();
  // Only `tail` runs until interrupted; it stops cleanly (exit 0). The other commands keep the
  // default: Ctrl-C ends them at once.
  if (argv[0] === 'tail') for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
  // A reader that goes away (`chainstore read dir | head`) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    drained: () => once(process.stdout, 'drain').then(() => undefined),
    stderr: (text) => void process.stderr.write(text),
    terminal: process.stdout.isTTY && process.stderr.isTTY ? process.stderr : undefined,
    signal: controller.signal,
  };
  run(argv, io).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`chainstore: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}

main();
