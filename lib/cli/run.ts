import { Command, CommanderError, Option } from 'commander';
import { CliIo, EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './cli-io';
import { inspectCommand } from './inspect.command';
import { collect, parseHeadHash, parseIsoTime, parseNonNegativeInteger, parsePositiveInteger } from './option-parsers';
import { readCommand } from './read.command';
import { describeFailure } from './store-access';
import { DEFAULT_TAIL_INTERVAL_MS, tailCommand } from './tail.command';
import { verifyCommand } from './verify.command';

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the store failed a check (verify), or is damaged where a command had to read
  2  usage error: bad flag or value, no such directory, not a store, permission denied

Every command opens the store read-only: it takes no lock and writes nothing, so it
can run while an application is writing to the same directory.`;

/**
 * The chainstore command line, in process: parses `argv` (the arguments after the program name),
 * runs one command, returns the exit code. Never throws for a user error: it prints one line.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const command = argv[0] ?? '';
    if (error instanceof UsageError) {
      io.stderr(`chainstore ${command}: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`chainstore ${command}: ${describeFailure(error)}\n`);
    return EXIT_CHECK_FAILED;
  }
}

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('chainstore')
    .description('Check and read a nestjs-chainstore directory: verify, inspect, read, tail.')
    .usage('<command> <directory> [options]')
    .addHelpText('after', EXIT_CODES_HELP)
    .helpCommand(false);
  configure(program, io);

  command(program, io, 'verify', 'Re-validate the whole hash chain from genesis (every segment and journal); exit 0 only when valid.')
    .addOption(new Option('--expect-head <hash>', 'also fail unless the head hash is this one (64 hex digits)').argParser(parseHeadHash))
    .option('--json', 'print one JSON object instead of the summary')
    .addHelpText(
      'after',
      `
A hash chain detects damage inside the chain, but a chain cut short at its tail, or a directory
rolled back to an older copy, is still a valid chain. Keep the head hash elsewhere (from
\`chainstore inspect\` or a previous verify) and pass it as --expect-head: that is how truncation
and rollback are caught. A store that has grown since has another head: take the hash again.

With a terminal, a progress bar (bytes and segments) is drawn on stderr; piped, there is none.`,
    )
    .action(async (directory: string, options: { expectHead?: string; json?: boolean }) => setExitCode(await verifyCommand(directory, options, io)));

  command(program, io, 'inspect', 'Show the segments (positions, events, bytes, times, sealed or open) and the head.')
    .option('--json', 'print one JSON object instead of the table')
    .action(async (directory: string, options: { json?: boolean }) => setExitCode(await inspectCommand(directory, options, io)));

  command(program, io, 'read', 'Print events as JSON lines (id, streamId, version, position, type, data, metadata, recordedAt).')
    .option('--stream <id>', 'only events of this stream')
    .option('--type <type>', 'only events of this type (repeat for several)', collect)
    .addOption(new Option('--from-position <n>', 'first position (inclusive)').argParser(parseNonNegativeInteger))
    .addOption(new Option('--to-position <n>', 'last position (inclusive)').argParser(parseNonNegativeInteger))
    .addOption(new Option('--since <time>', 'only events recorded at or after this ISO 8601 time').argParser(parseIsoTime))
    .addOption(new Option('--until <time>', 'only events recorded at or before this ISO 8601 time').argParser(parseIsoTime))
    .addOption(new Option('--limit <n>', 'print at most this many events').argParser(parsePositiveInteger))
    .option('--backwards', 'newest first')
    .action(async (directory: string, options: ReadOptions) => setExitCode(await readCommand(directory, { ...options, types: options.type }, io)));

  command(program, io, 'tail', 'Follow the store: print events as JSON lines as they are committed, until Ctrl-C.')
    .addOption(new Option('--from-position <n>', 'first print the events from this position (default: only new ones)').argParser(parseNonNegativeInteger))
    .option('--stream <id>', 'only events of this stream')
    .option('--type <type>', 'only events of this type (repeat for several)', collect)
    .addOption(new Option('--interval-ms <ms>', 'how often to look for new commits').argParser(parsePositiveInteger).default(DEFAULT_TAIL_INTERVAL_MS))
    .action(async (directory: string, options: TailOptions) => setExitCode(await tailCommand(directory, { ...options, types: options.type }, io)));

  return program;
}

interface ReadOptions {
  stream?: string;
  type?: string[];
  fromPosition?: number;
  toPosition?: number;
  since?: Date;
  until?: Date;
  limit?: number;
  backwards?: boolean;
}

interface TailOptions {
  stream?: string;
  type?: string[];
  fromPosition?: number;
  intervalMs: number;
}

function command(program: Command, io: CliIo, name: string, description: string): Command {
  const sub = program.command(name).description(description).argument('<directory>', 'the store directory');
  configure(sub, io);
  return sub;
}

/** Commander's errors as one line: `chainstore read: option '--limit <n>' argument 'x' is invalid. ... (see --help)`. */
function configure(command: Command, io: CliIo): void {
  const name = command.parent ? `chainstore ${command.name()}` : 'chainstore';
  command.exitOverride().configureOutput({
    writeOut: (text) => void io.stdout(text),
    writeErr: (text) => io.stderr(text),
    outputError: (text, write) => write(`${name}: ${text.trim().replace(/^error: /, '')} (see ${name} --help)\n`),
  });
}
