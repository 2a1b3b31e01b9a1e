import { JournalFile } from '../../lib/segment/journal-file';

/**
 * Calls through JournalFile.prepareSpare and keeps each spare it begins, as its promise, in the
 * returned array: a test counts the spares a log began and awaits the one it caused, rather than
 * sleeping. Undone by jest.restoreAllMocks().
 */
export function watchSpares(): Array<Promise<unknown>> {
  const prepare = JournalFile.prepareSpare.bind(JournalFile);
  const making: Array<Promise<unknown>> = [];
  jest.spyOn(JournalFile, 'prepareSpare').mockImplementation((...args) => {
    const made = prepare(...args);
    making.push(made);
    return made;
  });
  return making;
}
