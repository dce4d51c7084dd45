import fs from 'node:fs';
import path from 'node:path';
import { copyPhotos } from '../helpers/cli';
import { errorCodes, JOB_FIELDS, startTestServer, waitForJob, type TestServer } from './helpers';

interface Job {
  id: string;
  dir: string;
  state: string;
  [key: string]: unknown;
}

const REINDEX = `mutation R($dir: String!) { reindex(dir: $dir) { ${JOB_FIELDS} } }`;

describe('reindex jobs over GraphQL', () => {
  let server: TestServer;
  let outside: string;

  beforeAll(async () => {
    server = await startTestServer();
    outside = path.join(server.work, 'outside'); // beside the photo folder, the only allowed root
    copyPhotos(outside, 2, 200);
  }, 120_000);
  afterAll(() => server?.close());

  it('starts a job at once, returns the same job to a second request, and polls to SUCCEEDED with counts and skip reasons', async () => {
    const first = await server.gql<{ reindex: Job }>(REINDEX, { dir: server.photos });
    expect(first.errors).toBeUndefined();
    const job = first.data!.reindex;
    expect(['QUEUED', 'RUNNING']).toContain(job.state);
    expect(job.dir).toBe(server.photos);

    const second = await server.gql<{ reindex: Job }>(REINDEX, { dir: server.photos });
    expect(second.data!.reindex.id).toBe(job.id);

    const done = await waitForJob(server, job.id);
    expect(done).toMatchObject({
      state: 'SUCCEEDED',
      phase: 'DONE',
      seen: 9,
      toEmbed: 9,
      embedded: 8,
      skipped: 1,
      removed: 0,
      unchanged: 0,
      etaSeconds: 0,
      error: null,
      skippedFiles: [{ path: 'corrupt.jpg', reason: 'corrupt', message: expect.stringMatching(/corrupt or truncated image/) }],
    });
    expect(done.imagesPerSecond).toBeGreaterThan(0);
    expect(Date.parse(done.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(done.startedAt as string));

    // A new job once the first has finished: incremental, nothing to embed; a deleted photo is removed.
    fs.rmSync(path.join(server.photos, fs.readdirSync(server.photos).sort()[0]!));
    const again = await server.gql<{ reindex: Job }>(REINDEX, { dir: '.' });
    expect(again.data!.reindex.id).not.toBe(job.id);
    const incremental = await waitForJob(server, again.data!.reindex.id);
    expect(incremental).toMatchObject({ state: 'SUCCEEDED', seen: 8, embedded: 0, unchanged: 7, removed: 1, skipped: 0, skippedFiles: [] });
  }, 120_000);

  it('answers null for an unknown job id', async () => {
    const response = await server.gql('{ reindexJob(id: "no-such-job") { id } }');
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ reindexJob: null });
  });

  describe('refuses folders outside the allowed roots with BAD_USER_INPUT', () => {
    const cases: [string, () => string][] = [
      ['an absolute folder elsewhere', () => outside],
      ['the file system root', () => '/'],
      ['a missing folder elsewhere (not "not found": nothing is revealed)', () => path.join(server.work, 'does-not-exist')],
      ['".." out of the root', () => '../outside'],
      ['".." hidden in the middle', () => `${server.photos}/../outside`],
      ['".." after a real subfolder', () => 'sub/../../outside'],
      ['a symlink inside the root that points outside', () => 'escape'],
      ['a symlink to a parent of the root', () => 'up'],
    ];

    beforeAll(() => {
      fs.mkdirSync(path.join(server.photos, 'sub'), { recursive: true });
      fs.symlinkSync(outside, path.join(server.photos, 'escape'));
      fs.symlinkSync(server.work, path.join(server.photos, 'up'));
    });
    afterAll(() => {
      for (const name of ['escape', 'up', 'sub']) fs.rmSync(path.join(server.photos, name), { recursive: true, force: true });
    });

    it.each(cases)('%s', async (_name, dir) => {
      const response = await server.gql(REINDEX, { dir: dir() });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/is outside the folders this server may index .*SIS_ALLOWED_ROOTS/);
      expect(response.data).toBeNull();
    });

    it.each([
      ['', /dir is empty/],
      ['no-such-subfolder', /Folder not found: no-such-subfolder/],
      ['corrupt.jpg', /Not a folder: corrupt\.jpg/],
    ])('and refuses dir %p inside them with a clear message', async (dir, message) => {
      const response = await server.gql(REINDEX, { dir });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(message);
    });
  });
});

describe('searching while a reindex runs', () => {
  let server: TestServer;

  beforeAll(async () => {
    // Small batches and checkpoints: the 128 photos are committed in many steps.
    server = await startTestServer({ config: { batchSize: 2, checkpointImages: 4 } });
    copyPhotos(path.join(server.photos, 'more'), 120, 8);
  }, 120_000);
  afterAll(() => server?.close());

  it('keeps answering from the last committed state, and sees the new images once they are committed', async () => {
    const example = fs.readFileSync(path.join(server.photos, 'more', fs.readdirSync(path.join(server.photos, 'more')).sort()[0]!)).toString('base64');
    const started = await server.gql<{ reindex: Job }>(REINDEX, { dir: server.photos });
    const jobId = started.data!.reindex.id;
    const totals: number[] = [];
    let searchesWhileRunning = 0;
    for (;;) {
      const [result, byImage, poll] = await Promise.all([
        server.gql<{ search: { totalImages: number; hits: { id: string }[] } }>('{ search(query: "a dog", k: 5) { totalImages hits { id } } }'),
        // The vision model is shared with the running indexer.
        server.gql<{ searchByImage: { hits: unknown[] } }>('query($img: String!) { searchByImage(imageBase64: $img, k: 1) { hits { id } } }', { img: example }),
        server.gql<{ reindexJob: Job }>(`{ reindexJob(id: "${jobId}") { state embedded } }`),
      ]);
      expect(result.errors).toBeUndefined();
      expect(byImage.errors).toBeUndefined();
      const { totalImages, hits } = result.data!.search;
      // Never a half-written index: as many hits as the snapshot promises, each a distinct catalogue row.
      expect(hits).toHaveLength(Math.min(5, totalImages));
      expect(new Set(hits.map((hit) => hit.id)).size).toBe(hits.length);
      totals.push(totalImages);
      const state = poll.data!.reindexJob.state;
      if (state !== 'QUEUED' && state !== 'RUNNING') break;
      searchesWhileRunning++;
    }
    expect(searchesWhileRunning).toBeGreaterThan(3);
    expect([...totals].sort((a, b) => a - b)).toEqual(totals); // only ever grows
    expect(new Set(totals).size).toBeGreaterThan(2); // checkpoints became visible along the way
    const final = await server.gql<{ search: { totalImages: number } }>('{ search(query: "a dog", k: 1) { totalImages } }');
    expect(final.data!.search.totalImages).toBe(128);
    const job = await waitForJob(server, jobId);
    expect(job).toMatchObject({ state: 'SUCCEEDED', embedded: 128, skipped: 1 });
  }, 120_000);
});
