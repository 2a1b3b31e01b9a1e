import { randomUUID } from 'node:crypto';
import { openEventStore, StoreFailedError } from '../../lib';
import { silentLogger } from '../../lib/segment';
import { FaultFileSystem } from '../support/fault-file-system';
import { useTempDirectories } from '../support/temp-directory';

const tempDirectory = useTempDirectories();

describe('a store in the failed state', () => {
  test('EveryLaterAppendGetsStoreFailedErrorEvenAnExactRetryOfADurableOne', async () => {
    const directory = tempDirectory();
    const fileSystem = new FaultFileSystem({ root: directory });
    const store = await openEventStore({ directory, fileSystem, logger: silentLogger });
    const id = randomUUID();
    await store.appendToStream('s', [{ type: 'A', data: {}, id }]);
    fileSystem.inject({ operation: 'fdatasync', nth: 1, errno: 'EIO' });
    await expect(store.appendToStream('other', [{ type: 'B', data: {} }])).rejects.toBeInstanceOf(StoreFailedError);
    // The retry check would find the first append durable and answer with its result: the failed
    // state must answer first (DESIGN §3 rule 5: every later append is rejected).
    await expect(store.appendToStream('s', [{ type: 'A', data: {}, id }])).rejects.toBeInstanceOf(StoreFailedError);
    await expect(store.appendToStream('s', [{ type: 'C', data: {}, id: randomUUID() }])).rejects.toBeInstanceOf(StoreFailedError);
    await store.close();
  });
});
