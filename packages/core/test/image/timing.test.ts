import { parsePreprocessorConfig, prepareClipImage } from '../../src/image';
import { loadClipConfig, referenceImages } from './referenceData';

// A measurement, not a timed assertion: prints the median time of prepareClipImage on the 16
// non-square originals (~500x375 JPEGs), one image at a time, after a warm-up round.
test('median prepareClipImage time on the 16 originals', async () => {
  const spec = parsePreprocessorConfig(loadClipConfig());
  const originals = referenceImages.filter((image) => image.width !== image.height);
  const times: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (const image of originals) {
      const started = performance.now();
      await prepareClipImage(image.file, spec, { maxPixels: 100_000_000 });
      if (round > 0) times.push(performance.now() - started);
    }
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1]!;
  console.log(`prepareClipImage on ${originals.length} originals: median ${median.toFixed(2)} ms (${times.length} runs)`);
  expect(median).toBeGreaterThan(0);
}, 60_000);
