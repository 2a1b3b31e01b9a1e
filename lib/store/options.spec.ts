import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options.error';
import { silentLogger } from '../segment';
import { SPARE_JOURNAL_FILE } from '../segment/journal-file';
import { watchSpares } from '../../test/support/spare-journals';
import { StoreCore } from './store-core';
import { DEFAULT_MAX_EVENT_SIZE_BYTES, DEFAULT_SEGMENT_SIZE_BYTES, resolveOptions } from './options';

describe('resolveOptions', () => {
  it('fills in the defaults: fsync durability, the journal flushed on the event loop, 64 MiB segments', () => {
    expect(resolveOptions({ directory: '/store' })).toMatchObject({
      directory: '/store',
      durability: 'fsync',
      journalFlush: 'blocking',
      readOnly: false,
      segmentSizeBytes: DEFAULT_SEGMENT_SIZE_BYTES,
      maxEventSizeBytes: DEFAULT_MAX_EVENT_SIZE_BYTES,
    });
  });

  it.each([
    ['directory', { directory: '' }],
    ['durability', { directory: '/store', durability: 'sometimes' }],
    ['journalFlush', { directory: '/store', journalFlush: 'worker' }],
    ['readOnly', { directory: '/store', readOnly: 'yes' }],
    ['spareJournals', { directory: '/store', spareJournals: 'no' }],
    ['segmentSizeBytes', { directory: '/store', segmentSizeBytes: 100 }],
    ['maxEventSizeBytes', { directory: '/store', maxEventSizeBytes: 1.5 }],
  ])('refuses a bad %s with InvalidOptionsError naming it', (option, options) => {
    const attempt = () => resolveOptions(options as never);
    expect(attempt).toThrow(InvalidOptionsError);
    expect(attempt).toThrow(expect.objectContaining({ option }));
  });

  it('keeps journalFlush thread-pool when asked', () => {
    expect(resolveOptions({ directory: '/store', journalFlush: 'thread-pool' }).journalFlush).toBe('thread-pool');
  });

  it('passes spareJournals to the engine: a store makes its next journal ahead of time unless told not to', async () => {
    for (const spareJournals of [undefined, false]) {
      const directory = mkdtempSync(join(tmpdir(), 'options-'));
      try {
        const making = watchSpares();
        // 64 KiB segments: the spare is begun once the journal holds 32 KiB of frames.
        const core = await StoreCore.open({ directory, segmentSizeBytes: 64 * 1024, logger: silentLogger, ...(spareJournals === undefined ? {} : { spareJournals }) });
        await core.append('s', [{ type: 'T', data: { padding: 'x'.repeat(40 * 1024) } }]);
        await Promise.all(making);
        expect({ spareJournals, made: existsSync(join(directory, 'journal', SPARE_JOURNAL_FILE)) }).toEqual({ spareJournals, made: spareJournals === undefined });
        await core.close();
      } finally {
        jest.restoreAllMocks();
        rmSync(directory, { recursive: true, force: true });
      }
    }
  });
});
