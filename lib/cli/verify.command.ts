import { performance } from 'node:perf_hooks';
import { CorruptionError } from '../errors/corruption.error';
import { VerifyReport, verifyStore } from '../segment';
import { CliIo, EXIT_CHECK_FAILED, EXIT_OK } from './cli-io';
import { formatBytes, formatCount, formatDuration } from './format';
import { verifyProgressDisplay } from './progress';
import { checkStoreDirectory, fileError, whileFilesMove } from './store-access';

export interface VerifyCommandOptions {
  expectHead?: string;
  json?: boolean;
}

export type VerifyOutcome =
  | { ok: true; report: VerifyReport; elapsedMs: number; expectedHead?: string }
  | { ok: false; kind: 'corruption'; error: CorruptionError; elapsedMs: number }
  | { ok: false; kind: 'head-mismatch'; report: VerifyReport; elapsedMs: number; expectedHead: string };

/** `chainstore verify <dir>`: the whole chain from genesis, no lock, nothing written. */
export async function verifyCommand(directory: string, options: VerifyCommandOptions, io: CliIo): Promise<number> {
  await checkStoreDirectory(directory);
  const outcome = await runVerify(directory, options, io);
  if (options.json) io.stdout(`${JSON.stringify(verifyJson(directory, outcome))}\n`);
  else if (outcome.ok || outcome.kind === 'head-mismatch') io.stdout(formatVerifySummary(directory, outcome));
  if (!outcome.ok) io.stderr(`chainstore verify: ${verifyFailureLine(outcome)}\n`);
  return outcome.ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

async function runVerify(directory: string, options: VerifyCommandOptions, io: CliIo): Promise<VerifyOutcome> {
  const started = performance.now();
  const progress = verifyProgressDisplay(io.terminal);
  let report: VerifyReport;
  try {
    report = await whileFilesMove(() => verifyStore(directory, { onProgress: (p) => progress.update(p) }));
  } catch (error) {
    if (error instanceof CorruptionError) return { ok: false, kind: 'corruption', error, elapsedMs: performance.now() - started };
    throw fileError(error, directory);
  } finally {
    progress.stop();
  }
  const elapsedMs = performance.now() - started;
  if (options.expectHead !== undefined && options.expectHead !== report.head.hash) {
    return { ok: false, kind: 'head-mismatch', report, elapsedMs, expectedHead: options.expectHead };
  }
  return { ok: true, report, elapsedMs, expectedHead: options.expectHead };
}

export function formatVerifySummary(directory: string, outcome: Exclude<VerifyOutcome, { kind: 'corruption' }>): string {
  const { report } = outcome;
  const lines = [
    outcome.ok ? `${directory}: the chain is valid from genesis to head` : `${directory}: the chain is valid, but its head is not the expected one`,
    `  segments  ${report.segments} sealed, ${report.journals} open (journal)`,
    `  events    ${formatCount(report.events)}`,
    `  bytes     ${formatBytes(report.bytes)}`,
    `  head      position ${report.head.position} in segment ${report.head.segment}`,
    `  hash      ${report.head.hash}`,
  ];
  if (outcome.expectedHead !== undefined) lines.push(`  expected  ${outcome.expectedHead} (${outcome.ok ? 'matches' : 'DIFFERS'})`);
  if (report.tornBytes > 0) lines.push(`  torn tail ${report.tornBytes} bytes after the last whole journal frame: a write never acknowledged, left alone`);
  lines.push(`  elapsed   ${formatDuration(outcome.elapsedMs)}`);
  return lines.map((line) => `${line}\n`).join('');
}

export function verifyFailureLine(outcome: Exclude<VerifyOutcome, { ok: true }>): string {
  if (outcome.kind === 'corruption') {
    const { segment, offset, reason } = outcome.error;
    return `FAILED: ${segment} at offset ${offset}: ${reason}`;
  }
  const { head } = outcome.report;
  return (
    `FAILED: head is ${head.hash} (position ${head.position}), expected ${outcome.expectedHead}: ` +
    'the store was truncated or rolled back, has grown since that hash was taken, or is another store'
  );
}

export function verifyJson(directory: string, outcome: VerifyOutcome): object {
  const elapsedMs = Math.round(outcome.elapsedMs);
  if (!outcome.ok && outcome.kind === 'corruption') {
    const { segment, offset, reason } = outcome.error;
    return { ok: false, directory, failure: { kind: 'corruption', file: segment, offset, reason }, elapsedMs };
  }
  const { storeId, segments, journals, events, bytes, tornBytes, head } = outcome.report;
  const summary = { directory, storeId, segments, journals, events, bytes, tornBytes, head, elapsedMs };
  if (outcome.ok) return { ok: true, ...summary, ...(outcome.expectedHead !== undefined && { expectedHead: outcome.expectedHead }) };
  return { ok: false, ...summary, expectedHead: outcome.expectedHead, failure: { kind: 'head-mismatch', expected: outcome.expectedHead, actual: head.hash } };
}
