import { SEGMENT_OVERHEAD_BYTES } from '../format';
import { NodeFileSystem, recoverStore, RecoveredStore, silentLogger, StoreLayout } from '../segment';
import { StoreHead } from '../store';
import { CliIo, EXIT_OK } from './cli-io';
import { formatBytes, formatCount, formatTable, isoOrDash } from './format';
import { checkStoreDirectory, fileError, whileFilesMove } from './store-access';

export interface InspectCommandOptions {
  json?: boolean;
}

/** One segment of the store, sealed or still a journal. */
export interface SegmentSummary {
  segment: number;
  file: string;
  state: 'sealed' | 'open';
  firstPosition: number;
  /** -1 below firstPosition when the segment holds no event yet. */
  lastPosition: number;
  events: number;
  commits: number;
  bytes: number;
  firstRecordedAtMs?: number;
  lastRecordedAtMs?: number;
  /** Open journal only: bytes after the last whole frame (a write in progress, or never acknowledged). */
  tornBytes?: number;
}

export interface StoreSummary {
  directory: string;
  storeId: string;
  segments: SegmentSummary[];
  events: number;
  bytes: number;
  head: StoreHead;
}

/** `chainstore inspect <dir>`: the segments and the head, read-only (recovery's checks, nothing written). */
export async function inspectCommand(directory: string, options: InspectCommandOptions, io: CliIo): Promise<number> {
  await checkStoreDirectory(directory);
  const summary = await summarizeStore(directory);
  io.stdout(options.json ? `${JSON.stringify(inspectJson(summary))}\n` : formatInspect(summary));
  return EXIT_OK;
}

export async function summarizeStore(directory: string): Promise<StoreSummary> {
  const layout = new StoreLayout(directory);
  let recovered: RecoveredStore;
  try {
    recovered = await whileFilesMove(() => recoverStore(new NodeFileSystem(), layout, { readOnly: true, logger: silentLogger }));
  } catch (error) {
    throw fileError(error, directory);
  }
  const sealed = recovered.segments.map(({ segmentNumber, name, header }): SegmentSummary => ({
    segment: segmentNumber,
    file: name,
    state: 'sealed',
    firstPosition: header.firstPosition,
    lastPosition: header.firstPosition + header.eventCount - 1,
    events: header.eventCount,
    commits: header.commitCount,
    bytes: SEGMENT_OVERHEAD_BYTES + header.bodyLength,
    firstRecordedAtMs: header.firstRecordedAtMs,
    lastRecordedAtMs: header.lastRecordedAtMs,
  }));
  const open = recovered.journals.map(({ header, name, commits, validEnd, tornBytes, tail }): SegmentSummary => ({
    segment: header.segmentNumber,
    file: name,
    state: 'open',
    firstPosition: header.firstPosition,
    lastPosition: tail.nextPosition - 1,
    events: tail.nextPosition - header.firstPosition,
    commits: commits.length,
    bytes: validEnd,
    firstRecordedAtMs: commits[0]?.recordedAtMs,
    lastRecordedAtMs: commits[commits.length - 1]?.recordedAtMs,
    tornBytes,
  }));
  const segments = [...sealed, ...open];
  const last = [...segments].reverse().find((segment) => segment.events > 0);
  return {
    directory,
    storeId: recovered.storeId.toString('hex'),
    segments,
    events: recovered.tail.nextPosition,
    bytes: segments.reduce((sum, segment) => sum + segment.bytes, 0),
    head: { position: recovered.tail.nextPosition - 1, segment: last?.segment ?? 0, hash: recovered.tail.lastCommitHash.toString('hex') },
  };
}

export function formatInspect(summary: StoreSummary): string {
  const header = ['segment', 'positions', 'events', 'bytes', 'first recordedAt', 'last recordedAt', 'state'];
  const rows = summary.segments.map((segment) => [
    String(segment.segment),
    segment.events === 0 ? '-' : `${segment.firstPosition}–${segment.lastPosition}`,
    formatCount(segment.events),
    formatBytes(segment.bytes),
    isoOrDash(segment.firstRecordedAtMs),
    isoOrDash(segment.lastRecordedAtMs),
    segment.state === 'sealed' ? 'sealed' : segment.tornBytes ? `open (journal, ${segment.tornBytes} bytes past the last frame)` : 'open (journal)',
  ]);
  const { head } = summary;
  return [
    `store     ${summary.directory} (id ${summary.storeId})\n`,
    `events    ${formatCount(summary.events)} in ${summary.segments.length} segment${summary.segments.length === 1 ? '' : 's'}, ${formatBytes(summary.bytes)}\n`,
    `head      ${head.position < 0 ? 'none (the store is empty)' : `position ${head.position} in segment ${head.segment}`}\n`,
    `hash      ${head.hash}\n`,
    '\n',
    formatTable(header, rows, new Set([0, 2, 3])),
  ].join('');
}

export function inspectJson(summary: StoreSummary): object {
  return {
    directory: summary.directory,
    storeId: summary.storeId,
    events: summary.events,
    bytes: summary.bytes,
    head: summary.head,
    segments: summary.segments.map(({ firstRecordedAtMs, lastRecordedAtMs, ...segment }) => ({
      ...segment,
      firstRecordedAt: firstRecordedAtMs === undefined ? null : new Date(firstRecordedAtMs).toISOString(),
      lastRecordedAt: lastRecordedAtMs === undefined ? null : new Date(lastRecordedAtMs).toISOString(),
    })),
  };
}
