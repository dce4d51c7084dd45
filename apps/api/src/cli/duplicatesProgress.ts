import type { DuplicatePhase } from '@sis/core';

const LABELS: Record<DuplicatePhase, (done: number, total: number) => string> = {
  clustering: (done, total) => `clustering a sample into cells (k-means) ${done}/${total} steps`,
  assigning: (done, total) => `assigning ${done}/${total} images to their nearest cells`,
  comparing: (done, total) => `comparing ${done}/${total} images`,
};

/**
 * `sis duplicates`' progress on stderr: a line per phase of the pass (clustering and assigning only on a library
 * large enough to be compared in cells), rewritten in place as it goes; a finished phase keeps its last line.
 */
export function createDuplicatesProgress(stream: Pick<NodeJS.WriteStream, 'write'>): { update: (done: number, total: number, phase: DuplicatePhase) => void; stop: () => void } {
  let current: DuplicatePhase | undefined;
  return {
    update(done, total, phase) {
      if (current !== undefined && current !== phase) stream.write('\n');
      current = phase;
      stream.write(`\r${LABELS[phase](done, total)}`);
    },
    stop() {
      if (current !== undefined) stream.write('\n');
      current = undefined;
    },
  };
}
