import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FormatError } from '../errors/format.error';
import { COMMIT_BLOCK_HEADER_BYTES, encodeCommitBlock, EventRecordLayout, mapCommitEvents, readEventRecordLayout, scratchEventRecordLayout } from '../format';
import { recordedEventFromLayout, uuidFromBytes } from './recorded-event';

/** The 8-4-4-4-12 form, made the plain way. */
function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

/** One commit block of these events (stream ids, types), decoded back through recordedEventFromLayout. */
function roundTrip(events: Array<{ streamId: string; type: string; id: Buffer }>, knownStreamId?: string) {
  const block = encodeCommitBlock({
    firstPosition: 7,
    recordedAtMs: 1_700_000_000_000,
    parentHash: Buffer.alloc(32),
    events: events.map((event, i) => ({
      version: i,
      id: event.id,
      streamId: Buffer.from(event.streamId),
      type: Buffer.from(event.type),
      data: Buffer.from(JSON.stringify({ i })),
      metadata: Buffer.alloc(0),
    })),
  });
  const known = knownStreamId === undefined ? undefined : { text: knownStreamId, bytes: Buffer.from(knownStreamId) };
  const header = { blockLength: block.length, eventCount: events.length, firstPosition: 7, recordedAtMs: 1_700_000_000_000 };
  const decoded = mapCommitEvents(block, 0, header, (bytes: Buffer, layout: EventRecordLayout) => recordedEventFromLayout(bytes, layout, 'test', 0, known));
  if (decoded instanceof FormatError) throw decoded;
  return decoded;
}

describe('recordedEventFromLayout', () => {
  it('formats ids as their bytes in 8-4-4-4-12 hex', () => {
    for (let i = 0; i < 200; i++) {
      const bytes = randomBytes(20);
      expect(uuidFromBytes(bytes, 3)).toBe(uuidOf(bytes.subarray(3, 19)));
    }
  });

  // Types are decoded through a small cache keyed on their length and two bytes: types that share a
  // slot (same length, first and last byte) and more types than slots must still come back exactly.
  it('gives back every event type exactly, through types that share cache slots and more types than slots', () => {
    const colliding = ['TaZ', 'TbZ', 'TcZ', 'TaZ', 'Tébé', 'TbZ', 'Tébé'];
    expect(roundTrip(colliding.map((type) => ({ streamId: 's', type, id: randomBytes(16) }))).map((event) => event.type)).toEqual(colliding);
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), { minLength: 1, maxLength: 150 }), (types) => {
        const events = types.map((type) => ({ streamId: 'stream', type, id: randomBytes(16) }));
        const decoded = roundTrip(events);
        expect(decoded.map((event) => event.type)).toEqual(types);
        expect(decoded.map((event) => event.id)).toEqual(events.map((event) => uuidOf(event.id)));
      }),
      { numRuns: 300 },
    );
  });

  it('reuses a stream id it was told to expect only when the bytes are that id', () => {
    const decoded = roundTrip(
      [
        { streamId: 'account-1', type: 'T', id: randomBytes(16) },
        { streamId: 'account-2', type: 'T', id: randomBytes(16) },
        { streamId: 'account-10', type: 'T', id: randomBytes(16) },
      ],
      'account-1',
    );
    expect(decoded.map((event) => event.streamId)).toEqual(['account-1', 'account-2', 'account-10']);
  });

  it('reads the layout the encoder wrote', () => {
    const [event] = roundTrip([{ streamId: 's', type: 'T', id: Buffer.alloc(16, 0xab) }]);
    expect(event).toMatchObject({ streamId: 's', type: 'T', version: 0, position: 7, data: { i: 0 }, metadata: {}, id: 'abababab-abab-abab-abab-abababababab' });
    expect(readEventRecordLayout(Buffer.alloc(COMMIT_BLOCK_HEADER_BYTES), 0, 10, scratchEventRecordLayout())).toBeInstanceOf(FormatError);
  });
});
