import { InvalidOptionsError } from '../errors/invalid-options.error';
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
});
