import { randomUUID } from 'node:crypto';
import { decodeCommitBlockHeader, decodeCommitEvents, EventRecord } from '../../lib/format';
import { FormatError } from '../../lib/errors';
import { CommitEvent } from '../../lib/segment';

/** Bytes of a UUID string. */
export function uuidBytes(uuid: string = randomUUID()): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** A commit event of `streamId` at `version` whose data names it, so tests can check what came back. */
export function commitEvent(streamId: string, version: number, type = 'Tested', extra: object = {}): CommitEvent {
  return {
    version,
    id: uuidBytes(),
    streamId: Buffer.from(streamId),
    type: Buffer.from(type),
    data: Buffer.from(JSON.stringify({ streamId, version, ...extra })),
    metadata: Buffer.alloc(0),
  };
}

export function decodeBlock(block: Buffer): EventRecord[] {
  const header = decodeCommitBlockHeader(block, 0, block.length);
  if (header instanceof FormatError) throw header;
  const events = decodeCommitEvents(block, 0, header);
  if (events instanceof FormatError) throw events;
  return events;
}
