import { openEventStore } from '../../lib';
import { silentLogger } from '../../lib/segment';
import { useTempDirectories } from '../support/temp-directory';
import { describeEventStoreContract } from './event-store.contract';

const tempDirectory = useTempDirectories();

describeEventStoreContract('embedded store, one journal', async () => {
  const directory = tempDirectory();
  return { open: () => openEventStore({ directory, logger: silentLogger }) };
});

describeEventStoreContract('embedded store, segments sealed every few commits', async () => {
  const directory = tempDirectory();
  return { open: () => openEventStore({ directory, segmentSizeBytes: 1024, logger: silentLogger }) };
});
