import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { CorruptionError } from '../errors/corruption.error';
import { decodeIndexBlock, decodeSegmentHeader, END_MARKER_BYTES, SegmentHeader } from '../format';
import { commitEvent } from '../../test/support/events';
import { useTempDirectories } from '../../test/support/temp-directory';
import { NodeFileSystem } from './file-system';
import { silentLogger } from './logger';
import { checkSegmentFiles, HashParallelism, SegmentFile } from './segment-file-check';
import { SegmentLog } from './segment-log';
import { StoreLayout } from './store-layout';

const tempDirectory = useTempDirectories();

async function storeWithSegments(): Promise<{ directory: string; files: SegmentFile[]; storeId: Buffer }> {
  const directory = tempDirectory();
  const log = await SegmentLog.open({ directory, segmentSizeBytes: 2048, durability: 'none', readOnly: false, logger: silentLogger });
  for (let i = 0; i < 60; i++) await log.appendCommit([commitEvent(`s-${i % 4}`, Math.floor(i / 4))]).durable;
  await log.settle();
  const files = log.sealedSegments.map((segment) => ({ segmentNumber: segment.segmentNumber, name: segment.name, path: segment.path }));
  const storeId = log.storeId;
  await log.close();
  return { directory, files, storeId };
}

describe('checkSegmentFiles', () => {
  test.each<HashParallelism>(['workers', 'main-thread'])('checks every segment of a store the same way on %s', async (parallelism) => {
    const { files, storeId } = await storeWithSegments();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const valid = await checkSegmentFiles(new NodeFileSystem(), files, storeId, parallelism);
    const reference = await checkSegmentFiles(new NodeFileSystem(), files, storeId, 'main-thread');
    expect(valid.map((segment) => segment.endMarker.toString('hex'))).toEqual(reference.map((segment) => segment.endMarker.toString('hex')));
    expect(valid.map((segment) => segment.header.segmentNumber)).toEqual(files.map((file) => file.segmentNumber));
  });

  test('gives each segment the index its own file holds', async () => {
    // Every commit to a stream of its own: no two segments hold the same stream ids.
    const directory = tempDirectory();
    const log = await SegmentLog.open({ directory, segmentSizeBytes: 2048, durability: 'none', readOnly: false, logger: silentLogger });
    for (let i = 0; i < 60; i++) await log.appendCommit([commitEvent(`stream-${i}-${'x'.repeat(i % 7)}`, 0)]).durable;
    await log.settle();
    const files = log.sealedSegments.map((segment) => ({ segmentNumber: segment.segmentNumber, name: segment.name, path: segment.path }));
    const storeId = log.storeId;
    await log.close();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const valid = await checkSegmentFiles(new NodeFileSystem(), files, storeId, 'main-thread');
    files.forEach((file, i) => {
      const bytes = readFileSync(file.path);
      const header = decodeSegmentHeader(bytes) as SegmentHeader;
      expect(valid[i]?.index).toEqual(decodeIndexBlock(bytes.subarray(header.indexOffset, bytes.length - END_MARKER_BYTES)));
    });
  });

  test('names the first damaged segment with the same offset and reason on workers as on the main thread', async () => {
    const { files, storeId } = await storeWithSegments();
    const damaged = files[2] as SegmentFile;
    const later = files[3] as SegmentFile;
    for (const file of [damaged, later]) {
      chmodSync(file.path, 0o644);
      const bytes = readFileSync(file.path);
      bytes[700] = (bytes[700] as number) ^ 0x10; // inside the body, past the first commit's header
      writeFileSync(file.path, bytes);
    }
    const onWorkers = await checkSegmentFiles(new NodeFileSystem(), files, storeId, 'workers').catch((e: unknown) => e);
    const onMainThread = await checkSegmentFiles(new NodeFileSystem(), files, storeId, 'main-thread').catch((e: unknown) => e);
    expect(onWorkers).toBeInstanceOf(CorruptionError);
    expect(onWorkers).toMatchObject({ segment: StoreLayout.segmentName(damaged.segmentNumber) });
    const { segment, offset, reason } = onMainThread as CorruptionError;
    expect(onWorkers).toMatchObject({ segment, offset, reason });
  });
});
