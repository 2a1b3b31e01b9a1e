import { join } from 'node:path';
import { journalFileName, segmentFileName } from '../format';

/** Paths of a store directory (DESIGN §2). */
export class StoreLayout {
  readonly segmentsDirectory: string;
  readonly journalDirectory: string;

  constructor(readonly directory: string) {
    this.segmentsDirectory = join(directory, 'segments');
    this.journalDirectory = join(directory, 'journal');
  }

  segmentPath(segmentNumber: number): string {
    return join(this.segmentsDirectory, segmentFileName(segmentNumber));
  }

  journalPath(segmentNumber: number): string {
    return join(this.journalDirectory, journalFileName(segmentNumber));
  }

  /** The name used in errors and reports: relative to the store directory. */
  static segmentName(segmentNumber: number): string {
    return `segments/${segmentFileName(segmentNumber)}`;
  }

  static journalName(segmentNumber: number): string {
    return `journal/${journalFileName(segmentNumber)}`;
  }

  /** The name of a part of the log: a sealed segment or the journal of a segment not yet sealed. */
  static partName(part: { source: 'segment' | 'journal'; segmentNumber: number }): string {
    return part.source === 'segment' ? StoreLayout.segmentName(part.segmentNumber) : StoreLayout.journalName(part.segmentNumber);
  }
}
