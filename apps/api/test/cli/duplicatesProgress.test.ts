import { CLUSTERING_STEPS, seededRandom, thresholdGraph } from '@sis/core';
import { createDuplicatesProgress } from '../../src/cli/duplicatesProgress';

/** `sis duplicates`' progress lines, fed by a real near-duplicate pass that runs in cells (as on a large library). */
describe('sis duplicates progress', () => {
  it('shows the k-means, the assignment and the comparison, each on its own line, ending at its total', async () => {
    const [n, dimension] = [3000, 16];
    const random = seededRandom(5);
    const vectors = new Float32Array(n * dimension).map(() => random() - 0.5);
    for (let row = 0; row < n; row++) {
      const v = vectors.subarray(row * dimension, (row + 1) * dimension);
      const norm = Math.hypot(...v);
      v.forEach((x, d) => (v[d] = x / norm));
    }
    let written = '';
    const progress = createDuplicatesProgress({ write: (text: string) => ((written += text), true) });
    await thresholdGraph({ dimension, vectors, threshold: 0.99, exactMaxVectors: 0, onProgress: progress.update });
    progress.stop();
    // Each line is rewritten in place (\r); what a terminal keeps is the last state of each.
    const shown = written.split('\n').filter(Boolean).map((line) => line.split('\r').filter(Boolean).at(-1));
    expect(shown).toEqual([
      `clustering a sample into cells (k-means) ${CLUSTERING_STEPS}/${CLUSTERING_STEPS} steps`,
      `assigning ${n}/${n} images to their nearest cells`,
      `comparing ${n}/${n} images`,
    ]);
    expect(written).toContain(`\rclustering a sample into cells (k-means) 1/${CLUSTERING_STEPS} steps`);
    expect(written.endsWith('\n')).toBe(true);
  });
});
