/**
 * Serving indexed files (issue 10, findings 2 and 4): /images/:id and /thumbnails/:id resolve the file at request
 * time and serve it only while it is the file that was indexed (same device/inode, size, mtime) with its real
 * path inside an allowed root. Whatever replaces it (a symlink out, another file, a FIFO, a folder), the answer is
 * the original bytes or a 404, never anything else; a cached thumbnail goes with its file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { scanImages } from '@sis/core';
import { reindexAndWait, startTestServer, type TestServer } from '../server/helpers';

interface Hit {
  id: string;
  path: string;
}

const SECRET = 'TOP-SECRET-CONTENT-0123456789';

describe('serving a file that changed after it was indexed', () => {
  let server: TestServer;
  let hits: Hit[];
  let outside: string;
  let aside: string;

  beforeAll(async () => {
    server = await startTestServer({ photoCount: 4 });
    outside = path.join(server.work, 'outside');
    aside = path.join(server.work, 'aside');
    fs.mkdirSync(outside);
    fs.mkdirSync(aside);
    fs.writeFileSync(path.join(outside, 'shadow'), SECRET);
    expect((await reindexAndWait(server, server.photos)).state).toBe('SUCCEEDED');
    const response = await server.gql<{ search: { hits: Hit[] } }>('{ search(query: "anything", k: 20) { hits { id path } } }');
    hits = response.data!.search.hits;
    expect(hits).toHaveLength(4);
  }, 120_000);
  afterAll(() => server?.close());

  const get = async (route: 'images' | 'thumbnails', id: string) => {
    const response = await fetch(`${server.url}/${route}/${id}`);
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  };

  it('refuses a file replaced by a symlink to a file outside the roots (the /etc/shadow probe)', async () => {
    const hit = hits[0]!;
    const file = path.join(server.photos, hit.path);
    fs.renameSync(file, path.join(aside, 'kept'));
    fs.symlinkSync(path.join(outside, 'shadow'), file);
    try {
      for (const route of ['images', 'thumbnails'] as const) {
        const response = await get(route, hit.id);
        expect(response.status).toBe(404);
        expect(response.body.toString()).not.toContain(SECRET);
        expect(response.body.toString()).toMatch(/no longer inside the folders/);
      }
    } finally {
      fs.rmSync(file);
      fs.renameSync(path.join(aside, 'kept'), file);
    }
    expect((await get('images', hit.id)).status).toBe(200);
  });

  it('deletes a cached thumbnail when its file is deleted, and answers 404 like /images', async () => {
    const hit = hits[1]!;
    const file = path.join(server.photos, hit.path);
    expect((await get('thumbnails', hit.id)).status).toBe(200);
    const cached = path.join(server.config.dataDir, 'thumbnails', `${hit.id}.jpg`);
    expect(fs.existsSync(cached)).toBe(true);
    fs.renameSync(file, path.join(aside, 'kept'));
    try {
      expect((await get('images', hit.id)).status).toBe(404);
      const thumbnail = await get('thumbnails', hit.id);
      expect(thumbnail.status).toBe(404);
      expect(thumbnail.body.toString()).toMatch(/file is gone/);
      expect(fs.existsSync(cached)).toBe(false);
    } finally {
      fs.renameSync(path.join(aside, 'kept'), file);
    }
    expect((await get('thumbnails', hit.id)).status).toBe(200);
  });

  it('refuses a changed file (thumbnail included) until its folder is reindexed', async () => {
    const hit = hits[2]!;
    const file = path.join(server.photos, hit.path);
    expect((await get('thumbnails', hit.id)).status).toBe(200);
    const other = path.join(server.photos, hits[3]!.path);
    // Another photo copied over it, keeping the original's mtime: size differs, and so does the inode.
    fs.renameSync(file, path.join(aside, 'original'));
    fs.copyFileSync(other, file);
    const original = fs.statSync(path.join(aside, 'original'));
    fs.utimesSync(file, original.atime, original.mtime);
    for (const route of ['images', 'thumbnails'] as const) expect((await get(route, hit.id)).body.toString()).toMatch(/changed \(or was replaced\) since it was indexed/);
    await reindexAndWait(server, server.photos);
    const after = await server.gql<{ search: { hits: Hit[] } }>('{ search(query: "anything", k: 20) { hits { id path } } }');
    const newId = after.data!.search.hits.find((candidate) => candidate.path === hit.path)!.id;
    const served = await get('images', newId);
    expect(served.status).toBe(200);
    expect(served.body.equals(fs.readFileSync(other))).toBe(true);
    expect((await get('thumbnails', newId)).status).toBe(200);
    fs.rmSync(file);
    fs.renameSync(path.join(aside, 'original'), file);
    await reindexAndWait(server, server.photos);
    hits = (await server.gql<{ search: { hits: Hit[] } }>('{ search(query: "anything", k: 20) { hits { id path } } }')).data!.search.hits;
  }, 120_000);

  it('answers the original bytes or 404, whatever replaces the file, and serves it again once it is back', async () => {
    const replacements = ['symlink-outside-file', 'symlink-outside-dir', 'symlink-other-photo', 'hardlink-outside', 'same-size-and-mtime', 'fifo', 'folder', 'deleted'] as const;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: hits.length - 1 }), fc.constantFrom(...replacements), fc.constantFrom('images', 'thumbnails') as fc.Arbitrary<'images' | 'thumbnails'>, async (index, replacement, route) => {
        const hit = hits[index]!;
        const file = path.join(server.photos, hit.path);
        const originalBytes = fs.readFileSync(file);
        const kept = path.join(aside, 'kept');
        fs.renameSync(file, kept);
        const keptStats = fs.statSync(kept);
        try {
          switch (replacement) {
            case 'symlink-outside-file':
              fs.symlinkSync(path.join(outside, 'shadow'), file);
              break;
            case 'symlink-outside-dir':
              fs.symlinkSync(outside, file);
              break;
            case 'symlink-other-photo':
              fs.symlinkSync(path.join(server.photos, hits[(index + 1) % hits.length]!.path), file);
              break;
            case 'hardlink-outside': {
              // Same size and mtime as the original, inside the root by path: only the inode tells.
              const twin = path.join(outside, `twin-${Date.now()}`);
              fs.writeFileSync(twin, Buffer.concat([Buffer.from(SECRET), Buffer.alloc(Math.max(0, originalBytes.length - SECRET.length))]).subarray(0, originalBytes.length));
              fs.utimesSync(twin, keptStats.atime, keptStats.mtime);
              fs.linkSync(twin, file);
              break;
            }
            case 'same-size-and-mtime':
              fs.writeFileSync(file, Buffer.alloc(originalBytes.length, 7));
              fs.utimesSync(file, keptStats.atime, keptStats.mtime);
              break;
            case 'fifo':
              execFileSync('mkfifo', [file]);
              break;
            case 'folder':
              fs.mkdirSync(file);
              break;
            case 'deleted':
              break;
          }
          const response = await get(route, hit.id);
          expect(response.status).toBe(404);
          expect(response.body.toString()).not.toContain(SECRET);
        } finally {
          fs.rmSync(file, { recursive: true, force: true });
          fs.renameSync(kept, file);
        }
        const restored = await get(route, hit.id);
        expect(restored.status).toBe(200);
        if (route === 'images') expect(restored.body.equals(originalBytes)).toBe(true);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

describe('symlinks that leave the root', () => {
  it('are not indexed by default (reported as outside-root), and are with SIS_FOLLOW_SYMLINKS', async () => {
    for (const followSymlinks of [false, true]) {
      const server = await startTestServer({ photoCount: 2, config: { followSymlinks } });
      try {
        const outside = path.join(server.work, 'outside');
        fs.mkdirSync(path.join(outside, 'album'), { recursive: true });
        const photo = fs.readdirSync(server.photos).find((name) => name !== 'corrupt.jpg')!;
        fs.copyFileSync(path.join(server.photos, photo), path.join(outside, 'album', 'out.jpg'));
        fs.copyFileSync(path.join(server.photos, photo), path.join(outside, 'single.jpg'));
        fs.symlinkSync(path.join(outside, 'album'), path.join(server.photos, 'linked-album'));
        fs.symlinkSync(path.join(outside, 'single.jpg'), path.join(server.photos, 'linked.jpg'));
        const job = await reindexAndWait(server, server.photos);
        const outsideRoot = (job.skippedFiles as { path: string; reason: string }[]).filter((file) => file.reason === 'outside-root').map((file) => file.path).sort();
        const response = await server.gql<{ search: { hits: Hit[] } }>('{ search(query: "anything", k: 20) { hits { id path } } }');
        const paths = response.data!.search.hits.map((hit) => hit.path).sort();
        if (followSymlinks) {
          expect(outsideRoot).toEqual([]);
          expect(paths).toEqual(expect.arrayContaining(['linked-album/out.jpg', 'linked.jpg']));
          // Followed on purpose: served, since the indexed path lies in the root.
          const linked = response.data!.search.hits.find((hit) => hit.path === 'linked.jpg')!;
          expect((await fetch(`${server.url}/images/${linked.id}`)).status).toBe(200);
        } else {
          expect(outsideRoot).toEqual(['linked-album', 'linked.jpg']);
          expect(paths.some((name) => name.startsWith('linked'))).toBe(false);
        }
      } finally {
        await server.close();
      }
    }
  }, 120_000);

  it('scanImages never returns a file whose real path leaves the root, for any layout of links (fast-check)', async () => {
    const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-scanlinks-')));
    try {
      const targets = ['in/a.jpg', 'in/sub', 'in', '.', 'out/b.jpg', 'out/dir', 'out', 'out/dir/c.jpg', 'missing.jpg', 'out/missing'];
      const layout = fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z]{1,5}(\.jpg)?$/), at: fc.constantFrom('', 'in', 'in/sub'), target: fc.constantFrom(...targets) }), {
        selector: (link) => `${link.at}/${link.name}`,
        maxLength: 6,
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(layout, async (links) => {
          const base = path.join(work, `run-${run++}`);
          const root = path.join(base, 'root');
          for (const dir of ['root/in/sub', 'out/dir']) fs.mkdirSync(path.join(base, dir), { recursive: true });
          for (const file of ['root/in/a.jpg', 'out/b.jpg', 'out/dir/c.jpg']) fs.writeFileSync(path.join(base, file), 'x');
          const resolveTarget = (target: string) => (target.startsWith('out') ? path.join(base, target) : path.join(root, target));
          for (const link of links) {
            const at = path.join(root, link.at, link.name);
            if (!fs.existsSync(at)) fs.symlinkSync(resolveTarget(link.target), at);
          }
          const options = { extensions: ['.jpg'], includeHidden: false };
          const strict = await scanImages(root, options);
          const realRoot = fs.realpathSync(root);
          for (const file of strict.files) expect(path.relative(realRoot, fs.realpathSync(file.path)).startsWith('..')).toBe(false);
          const followed = await scanImages(root, { ...options, followSymlinks: true });
          expect(followed.files.length).toBeGreaterThanOrEqual(strict.files.length);
          // Every link into out/ that is a folder or looks like an image is reported, and only those.
          const expectedOutside = links
            .filter((link) => link.target.startsWith('out') && link.target !== 'out/missing')
            .filter((link) => !link.target.endsWith('.jpg') || link.name.endsWith('.jpg'))
            .map((link) => path.join(root, link.at, link.name));
          // A link is reported under whichever spelling the scan reached its folder by: compare where the links are.
          const located = (p: string) => path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
          const reported = strict.problems.filter((problem) => problem.reason === 'outside-root').map((problem) => located(problem.path));
          expect(reported.sort()).toEqual(expectedOutside.filter((p) => fs.lstatSync(p).isSymbolicLink()).map(located).sort());
        }),
        { numRuns: 80 },
      );
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
