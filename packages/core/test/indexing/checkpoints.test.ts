import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Embedder } from '../../src/embedding';
import { Indexer, type IndexerSettings, type LibraryWriter } from '../../src/indexing';

/**
 * The time-based checkpoint (SIS_CHECKPOINT_SECONDS) and the index save interval, on a fake clock: the fake
 * model "takes" a fixed time per batch by moving performance.now() forward, so which batch crosses a time limit
 * is exact, with no real waiting and no timing assertions.
 */
const spec = { shortestEdge: 1, cropHeight: 1, cropWidth: 1, mean: [0, 0, 0], std: [1, 1, 1], rescaleFactor: 1 } as const;

let clock = 0;
let root: string;
beforeEach(() => {
  clock = 0;
  jest.spyOn(performance, 'now').mockImplementation(() => clock);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-checkpoints-'));
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, `photo-${String(i).padStart(2, '0')}.jpg`), 'x');
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A model whose every call takes `msPerBatch` on the fake clock. */
function slowModel(msPerBatch: number): Embedder {
  return {
    modelName: 'fake',
    dimension: 2,
    precision: 'fp32',
    preprocess: spec,
    embedTexts: () => Promise.reject(new Error('not used')),
    embedPixels: (pixels) => {
      clock += msPerBatch;
      return Promise.resolve(pixels.map(() => new Float32Array([1, 0])));
    },
  };
}

/** A library that records what the indexer does to it, in order. */
function recordingLibrary(events: string[]): LibraryWriter {
  return {
    fileStates: () => new Map(),
    apply: (changes) => void events.push(`commit ${changes.upsertIndexed.length}`),
    checkpoint: () => void events.push('save'),
    recordReindex: () => undefined,
  };
}

async function reindexWith(settings: Partial<IndexerSettings>, msPerBatch: number): Promise<string[]> {
  const events: string[] = [];
  const prepare = () => Promise.resolve({ pixelValues: new Float32Array(3), width: 1, height: 1 });
  const indexer = new Indexer(recordingLibrary(events), slowModel(msPerBatch), prepare, {
    imageExtensions: ['.jpg'],
    includeHidden: false,
    batchSize: 2,
    checkpointImages: 1000,
    ...settings,
  });
  const summary = await indexer.reindex(root);
  expect(summary.embedded).toBe(10);
  return events;
}

describe('checkpoints by time', () => {
  it('commits at the first batch that ends checkpointMs or more after the last commit', async () => {
    // Batches end at 400, 800, 1200 (commit: 1200 ms since 0), 1600, 2000; the rest at the end.
    expect(await reindexWith({ checkpointMs: 1000 }, 400)).toEqual(['commit 6', 'commit 4', 'save']);
    // Every batch crosses 300 ms.
    expect(await reindexWith({ checkpointMs: 300 }, 400)).toEqual(['commit 2', 'commit 2', 'commit 2', 'commit 2', 'commit 2', 'save']);
    // Never within the run: one commit at the end.
    expect(await reindexWith({ checkpointMs: 30_000 }, 400)).toEqual(['commit 10', 'save']);
  });

  it('whichever comes first: the image count still commits before the time limit', async () => {
    expect(await reindexWith({ checkpointMs: 30_000, checkpointImages: 4 }, 400)).toEqual(['commit 4', 'commit 4', 'commit 2', 'save']);
  });
});

describe('the index save interval', () => {
  it('rewrites the index file at the first commit indexSaveMs or more after the last save, and at the end', async () => {
    // A commit every batch (at 400, 800, 1200, 1600, 2000): the one at 1200 is 1000 ms or more after the start.
    expect(await reindexWith({ checkpointImages: 2, indexSaveMs: 1000 }, 400)).toEqual([
      'commit 2',
      'commit 2',
      'commit 2',
      'save',
      'commit 2',
      'commit 2',
      'save',
    ]);
    // The default (2 minutes) is never reached here: saved once, at the end.
    expect(await reindexWith({ checkpointImages: 2 }, 400)).toEqual(['commit 2', 'commit 2', 'commit 2', 'commit 2', 'commit 2', 'save']);
  });
});
