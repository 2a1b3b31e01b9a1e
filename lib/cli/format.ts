import { RecordedEvent } from '../store';

/** Pure formatting of what the commands print: no I/O here, so tests can check it byte for byte. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export function isoOrDash(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** One event as one JSON line, the shape `read` and `tail` print. */
export function eventLine(event: RecordedEvent): string {
  const { id, streamId, version, position, type, data, metadata, recordedAt } = event;
  return `${JSON.stringify({ id, streamId, version, position, type, data, metadata, recordedAt: recordedAt.toISOString() })}\n`;
}

/** Left-aligned text columns, right-aligned numeric ones, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((text) => `${text}\n`).join('');
}
