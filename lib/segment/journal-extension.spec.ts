import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commitEvent } from '../../test/support/events';
import { useTempDirectories } from '../../test/support/temp-directory';
import { JOURNAL_HEADER_BYTES } from '../format';
import { NodeFileSystem } from './file-system';
import { silentLogger } from './logger';
import { SegmentLog } from './segment-log';

/** 8 MiB segments: the zero space kept ahead of the frames (P) is 4 MiB. */
const SEGMENT_SIZE_BYTES = 8 * 1024 * 1024;
const P = 4 * 1024 * 1024;
/** A journal made ahead whole (a spare): the header, the segment rounded up to P, and P over. */
const FULL_JOURNAL_BYTES = JOURNAL_HEADER_BYTES + SEGMENT_SIZE_BYTES + P;
/** Zeros per step of an extension: each is written, then fdatasynced. */
const STEP_BYTES = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real file system, recording the frames' writes and holding the background extension's calls
 * until the test lets them go. The extension's calls are those through the second descriptor opened
 * on a `.wal` (the first is the frames').
 */
class ExtensionWatchingFileSystem extends NodeFileSystem {
  holding = false;
  failing = false;
  readonly frameWriteBytes: number[] = [];
  readonly extensionCalls: string[] = [];
  private readonly walFds = new Map<string, number[]>();
  private readonly extensionFds = new Set<number>();
  private readonly held: Array<() => void> = [];
  private syncs = 0;
  private syncWaiters: Array<{ syncs: number; wake: () => void }> = [];
  private holdWaiters: Array<() => void> = [];

  override async open(path: string, flags: 'r' | 'r+' | 'wx'): Promise<number> {
    const fd = await super.open(path, flags);
    if (path.endsWith('.wal') && flags === 'r+') {
      const fds = [...(this.walFds.get(path) ?? []), fd];
      this.walFds.set(path, fds);
      if (fds.length === 2) this.extensionFds.add(fd);
    }
    return fd;
  }

  override async write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (!this.extensionFds.has(fd)) return super.write(fd, buffer, offset, length, position);
    this.extensionCalls.push(`write ${position}+${length}`);
    await this.gate();
    if (this.failing) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return super.write(fd, buffer, offset, length, position);
  }

  override async fdatasync(fd: number): Promise<void> {
    if (!this.extensionFds.has(fd)) return super.fdatasync(fd);
    this.extensionCalls.push('fdatasync');
    await this.gate();
    await super.fdatasync(fd);
    this.syncs++;
    this.syncWaiters = this.syncWaiters.filter((waiter) => waiter.syncs > this.syncs || void waiter.wake());
  }

  override async close(fd: number): Promise<void> {
    if (this.extensionFds.delete(fd)) this.extensionCalls.push('close');
    return super.close(fd);
  }

  override writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    this.frameWriteBytes.push(length);
    return super.writeSync(fd, buffer, offset, length, position);
  }

  /** Resolves once the extensions' fdatasyncs returned `syncs` times in all. */
  extensionSyncs(syncs: number): Promise<void> {
    return new Promise((wake) => (syncs <= this.syncs ? wake() : this.syncWaiters.push({ syncs, wake })));
  }

  /** Resolves once an extension's call is held. */
  extensionHeld(): Promise<void> {
    return new Promise((wake) => (this.held.length > 0 ? wake() : this.holdWaiters.push(wake)));
  }

  release(): void {
    this.holding = false;
    for (const go of this.held.splice(0)) go();
  }

  private gate(): Promise<void> {
    if (!this.holding) return Promise.resolve();
    const gate = new Promise<void>((resolve) => this.held.push(resolve));
    for (const wake of this.holdWaiters.splice(0)) wake();
    return gate;
  }
}

/** `promise`'s outcome if it settles within `ms`, else 'waiting'. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'waiting'> {
  return Promise.race([promise, sleep(ms).then(() => 'waiting' as const)]);
}

/** ~50 KB commits, a frame each when appended one at a time, every frame of the same length. */
const COMMIT_BYTES = 50_000;
function paddedEvent(index: number) {
  return [commitEvent(`s-${String(index).padStart(6, '0')}`, 0, 'Tested', { padding: 'x'.repeat(COMMIT_BYTES) })];
}

/** What an extension of P from `from` calls, a step at a time. */
function extensionSteps(from: number): string[] {
  return Array.from({ length: P / STEP_BYTES }, (_, step) => [`write ${from + step * STEP_BYTES}+${STEP_BYTES}`, 'fdatasync']).flat();
}

/**
 * A journal not made from a spare (the first of a store, or one reopened) starts with P of zeros.
 * Its space is extended ahead of the frames in the background, a step of zeros written and synced at
 * a time, so that no frame carries zeros and every fdatasync overwrites allocated bytes (DESIGN §3
 * rule 3) — without ever writing zeros over a frame.
 */
describe('the open journal’s zero space, extended in the background', () => {
  const tempDirectory = useTempDirectories();

  function open(directory: string, fileSystem: ExtensionWatchingFileSystem): Promise<SegmentLog> {
    return SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: false, fileSystem, spareJournals: true, logger: silentLogger });
  }

  /** A new log whose extensions' calls are held, with its first commit durable (its extension started). */
  async function openHolding(): Promise<{ directory: string; fileSystem: ExtensionWatchingFileSystem; log: SegmentLog }> {
    const directory = tempDirectory();
    const fileSystem = new ExtensionWatchingFileSystem();
    fileSystem.holding = true;
    const log = await open(directory, fileSystem);
    await log.appendCommit(paddedEvent(0)).durable;
    return { directory, fileSystem, log };
  }

  async function reopenedPosition(directory: string): Promise<number> {
    const reopened = await SegmentLog.open({ directory, segmentSizeBytes: SEGMENT_SIZE_BYTES, durability: 'fsync', readOnly: true, logger: silentLogger });
    const position = reopened.durableNextPosition;
    await reopened.close();
    return position;
  }

  it('is made through a descriptor of its own before the frames reach it, so that no frame carries zeros, up to a spare’s size', async () => {
    const { directory, fileSystem, log } = await openHolding();
    await fileSystem.extensionHeld();
    fileSystem.release();
    await fileSystem.extensionSyncs(P / STEP_BYTES);
    // The first P of zeros came with the journal; P more, a step at a time, each synced.
    expect(fileSystem.extensionCalls).toEqual(extensionSteps(JOURNAL_HEADER_BYTES + P));
    let commits = 1;
    while (readdirSync(join(directory, 'journal')).includes('00000002.wal') === false) await log.appendCommit(paddedEvent(commits++)).durable;
    await log.close();
    expect(Math.max(...fileSystem.frameWriteBytes)).toBeLessThan(2 * COMMIT_BYTES);
    // Then the last P, as the frames passed P from the end; none past a spare's size.
    expect(fileSystem.extensionCalls).toEqual([...extensionSteps(JOURNAL_HEADER_BYTES + P), ...extensionSteps(FULL_JOURNAL_BYTES - P), 'close']);
    expect(await reopenedPosition(directory)).toBe(commits);
  });

  it('makes a frame that passes the zeros made so far wait for the step in progress, whose zeros would land on it', async () => {
    const { directory, fileSystem, log } = await openHolding();
    // Frames of one length: the one at index floor(P / length) is the first to pass the first P of zeros.
    const passing = Math.floor(P / fileSystem.frameWriteBytes[0]!);
    let commits = 1;
    while (commits < passing) await log.appendCommit(paddedEvent(commits++)).durable;
    const waiting = log.appendCommit(paddedEvent(commits++)).durable;
    expect(await within(waiting, 100)).toBe('waiting');
    fileSystem.release();
    await waiting;
    expect(Math.max(...fileSystem.frameWriteBytes)).toBeLessThan(2 * COMMIT_BYTES);
    await log.close();
    expect(await reopenedPosition(directory)).toBe(commits);
  });

  it('leaves the frames to extend the space themselves once an extension fails', async () => {
    const directory = tempDirectory();
    const fileSystem = new ExtensionWatchingFileSystem();
    fileSystem.failing = true;
    const log = await open(directory, fileSystem);
    let commits = 0;
    while (commits * COMMIT_BYTES < 1.5 * P) await log.appendCommit(paddedEvent(commits++)).durable;
    expect(fileSystem.extensionCalls).toEqual([`write ${JOURNAL_HEADER_BYTES + P}+${STEP_BYTES}`]);
    // The frame that reached the end carried zeros up to alignUp(end, P) + P.
    expect(Math.max(...fileSystem.frameWriteBytes)).toBeGreaterThan(P);
    expect(log.failedWith).toBeUndefined();
    await log.close();
    expect(await reopenedPosition(directory)).toBe(commits);
  });

  it('is finished before close closes the journal', async () => {
    const { directory, fileSystem, log } = await openHolding();
    await fileSystem.extensionHeld();
    const closed = log.close();
    expect(await within(closed, 100)).toBe('waiting');
    fileSystem.release();
    await closed;
    // The step in progress is the last: close stops the extension after it, then closes its descriptor.
    expect(fileSystem.extensionCalls).toEqual([`write ${JOURNAL_HEADER_BYTES + P}+${STEP_BYTES}`, 'fdatasync', 'close']);
    expect(await reopenedPosition(directory)).toBe(1);
  });
});
