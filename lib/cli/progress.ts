import { Presets, SingleBar } from 'cli-progress';
import { VerifyProgress } from '../store';
import { formatBytes } from './format';

export interface ProgressDisplay {
  update(progress: VerifyProgress): void;
  stop(): void;
}

const nothing: ProgressDisplay = { update: () => undefined, stop: () => undefined };

/**
 * The verify progress bar (bytes and segments) on a terminal; nothing when there is none, so that
 * output piped to a file or another program holds no escape codes. Cleared when done.
 */
export function verifyProgressDisplay(terminal: NodeJS.WriteStream | undefined): ProgressDisplay {
  if (!terminal) return nothing;
  const bar = new SingleBar(
    {
      stream: terminal,
      format: 'verifying [{bar}] {percentage}% | {done} of {total} | segment {segmentsDone}/{segmentsTotal} | ETA {eta_formatted}',
      clearOnComplete: true,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const payload = { ...progress, done: formatBytes(progress.bytesDone), total: formatBytes(progress.bytesTotal) };
      if (!started) bar.start(progress.bytesTotal, progress.bytesDone, payload);
      else bar.update(progress.bytesDone, payload);
      started = true;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
