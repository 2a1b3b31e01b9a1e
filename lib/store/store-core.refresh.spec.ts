import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { commitEvent } from '../../test/support/events';
import { useTempDirectories } from '../../test/support/temp-directory';
import { decodeJournalHeader, encodeCommitBlock, encodeJournalFrame, JournalHeader } from '../format';
import { FormatError } from '../errors/format.error';
import { silentLogger, StoreLayout } from '../segment';
import { RecordedEvent } from './types';
import { StoreCore } from './store-core';

/**
 * A read-only StoreCore follows a directory another store writes to: refresh() picks up frames
 * added to the open journal, journals created since, and journals sealed into segments meanwhile
 * (the journal file disappears), and hands them to readers and live listeners like a writer's own commits.
 */
describe('StoreCore.refresh on a read-only store', () => {
  const tempDirectory = useTempDirectories();
  const SEGMENT_SIZE_BYTES = 1024;

  function openWriter(directory: string) {
    return StoreCore.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'none', logger: silentLogger });
  }
  function openReader(directory: string) {
    return StoreCore.open({ directory, readOnly: true, durability: 'none', logger: silentLogger });
  }
  function readAll(core: StoreCore): RecordedEvent[] {
    return [...core.logChunks(0, core.durableNextPosition - 1, 'forwards')].flatMap((chunk) => chunk.events);
  }
  async function append(writer: StoreCore, count: number, offset: number): Promise<void> {
    for (let i = 0; i < count; i++) await writer.append(`account-${(offset + i) % 3}`, [{ type: 'Deposited', data: { n: offset + i, pad: 'x'.repeat(60) } }]);
  }

  it('sees commits appended to the open journal after it opened', async () => {
    const directory = tempDirectory();
    const writer = await openWriter(directory);
    await append(writer, 2, 0);
    const reader = await openReader(directory);
    try {
      await append(writer, 3, 2);
      expect(reader.durableNextPosition).toBe(2);
      expect(await reader.refresh()).toBe(3);
      expect(readAll(reader).map((event) => event.data)).toEqual(readAll(writer).map((event) => event.data));
      expect(reader.head()).toEqual(writer.head());
      expect(reader.streamVersion('account-1')).toBe(writer.streamVersion('account-1'));
      expect(await reader.refresh()).toBe(0);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('follows across seals, including journals created and sealed between two refreshes', async () => {
    const directory = tempDirectory();
    const writer = await openWriter(directory);
    const reader = await openReader(directory);
    const live: number[] = [];
    reader.onCommits((events) => live.push(...events.map((event) => event.position)));
    try {
      let written = 0;
      for (const batch of [1, 4, 30, 2, 45, 0, 7]) {
        await append(writer, batch, written);
        written += batch;
        // The writer seals in the background: a journal may vanish under a refresh, which then
        // stops there; the next one reads its segment.
        for (let attempt = 0; attempt < 1000 && reader.durableNextPosition < written; attempt++) await reader.refresh();
        expect(reader.durableNextPosition).toBe(written);
      }
      const expected = { ids: readAll(writer).map((event) => event.id), head: writer.head(), versions: ['account-0', 'account-1', 'account-2'].map((s) => writer.streamVersion(s)) };
      await writer.close(); // settles the last seals
      await reader.refresh();
      expect(readFileSync(new StoreLayout(directory).segmentPath(8)).length).toBeGreaterThan(0);
      expect(live).toEqual([...Array(written).keys()]);
      const events = readAll(reader);
      expect(events.map((event) => event.position)).toEqual([...Array(written).keys()]);
      expect(events.map((event) => event.id)).toEqual(expected.ids);
      expect(reader.head()).toEqual(expected.head);
      expect(['account-0', 'account-1', 'account-2'].map((s) => reader.streamVersion(s))).toEqual(expected.versions);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('does not read a frame that is only partly written, and reads it once it is whole', async () => {
    const directory = tempDirectory();
    const writer = await openWriter(directory);
    await append(writer, 1, 0);
    const head = writer.head();
    await writer.close();
    const reader = await openReader(directory);
    try {
      const path = new StoreLayout(directory).journalPath(1);
      const header = decodeJournalHeader(readFileSync(path)) as JournalHeader;
      expect(header).not.toBeInstanceOf(FormatError);
      const validEnd = journalValidEnd(readFileSync(path));
      const block = encodeCommitBlock({ firstPosition: 1, recordedAtMs: Date.now(), parentHash: Buffer.from(head.hash, 'hex'), events: [commitEvent('account-9', 0)] });
      const frame = encodeJournalFrame(header.salt, 1, [block]);
      const half = Math.floor(frame.length / 2);
      writeAt(path, frame.subarray(0, half), validEnd);
      expect(await reader.refresh()).toBe(0);
      writeAt(path, frame.subarray(half), validEnd + half);
      expect(await reader.refresh()).toBe(1);
      expect(readAll(reader).map((event) => event.streamId)).toEqual(['account-0', 'account-9']);
    } finally {
      await reader.close();
    }
  });

  it('is refused on a store that writes: the writer publishes its own commits', async () => {
    const writer = await openWriter(tempDirectory());
    try {
      await expect(writer.refresh()).rejects.toThrow(/read-only/);
    } finally {
      await writer.close();
    }
  });
});

/** Offset just past the last frame: the first 8-aligned offset after the header where zeros start. */
function journalValidEnd(bytes: Buffer): number {
  let offset = 64;
  while (offset + 4 <= bytes.length && bytes.readUInt32LE(offset) !== 0) offset += bytes.readUInt32LE(offset);
  return offset;
}

function writeAt(path: string, bytes: Buffer, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}
