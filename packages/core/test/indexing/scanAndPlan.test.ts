import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertScannableRoot, scanImages, ScanRootError } from '../../src/indexing/scan';
import { planReindex, type KnownFile } from '../../src/indexing/plan';

const options = { extensions: ['.jpg', '.png'], includeHidden: false };

/**
 * Root reads every folder, so as root (CI runs as root) the scan runs in a child process as the unprivileged user
 * nobody, with the built module (dist/), which must see the folder as unreadable for the test to mean anything.
 */
function scanAsNobody(root: string): Awaited<ReturnType<typeof scanImages>> {
  const built = path.resolve(__dirname, '../../dist/indexing/scan.js');
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: build packages/core first (pnpm exec turbo run build)`);
  fs.chmodSync(root, 0o755);
  const script = `
    const fs = require('node:fs');
    let denied = false;
    try { fs.readdirSync(process.argv[1] + '/locked'); } catch (error) { denied = error.code === 'EACCES'; }
    if (!denied) { console.error('nobody can read the locked folder: nothing to observe'); process.exit(3); }
    require(process.argv[2]).scanImages(process.argv[1], JSON.parse(process.argv[3])).then((result) => console.log(JSON.stringify(result)));`;
  const child = spawnSync(process.execPath, ['-e', script, root, built, JSON.stringify(options)], { uid: 65534, gid: 65534, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`scan as nobody exited with ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout) as Awaited<ReturnType<typeof scanImages>>;
}

function touch(file: string, content = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe('scanImages', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-scan-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('finds images recursively by extension, case-insensitively, and skips hidden entries by default', async () => {
    touch(path.join(root, 'a.jpg'));
    touch(path.join(root, 'B.JPG'));
    touch(path.join(root, 'nested/deeper/c.png'));
    touch(path.join(root, 'notes.txt'));
    touch(path.join(root, '.hidden.jpg'));
    touch(path.join(root, '.thumbs/d.jpg'));
    const { files, problems } = await scanImages(root, options);
    expect(files.map((file) => path.relative(root, file.path)).sort()).toEqual(['B.JPG', 'a.jpg', 'nested/deeper/c.png']);
    expect(problems).toEqual([]);
    const withHidden = await scanImages(root, { ...options, includeHidden: true });
    expect(withHidden.files).toHaveLength(5);
  });

  it('records size and whole-millisecond mtime', async () => {
    touch(path.join(root, 'a.jpg'), 'hello');
    const when = new Date('2024-05-01T12:00:00.500Z');
    fs.utimesSync(path.join(root, 'a.jpg'), when, when);
    const [file] = (await scanImages(root, options)).files;
    expect(file).toEqual({ path: path.join(root, 'a.jpg'), size: 5, mtimeMs: when.getTime(), device: expect.stringMatching(/^\d+$/), inode: expect.stringMatching(/^\d+$/) });
  });

  it('survives symlink loops and visits a linked file or folder once', async () => {
    touch(path.join(root, 'photos/a.jpg'));
    fs.symlinkSync(root, path.join(root, 'photos/loop'));
    fs.symlinkSync(path.join(root, 'photos'), path.join(root, 'alias'));
    fs.symlinkSync(path.join(root, 'photos/a.jpg'), path.join(root, 'link.jpg'));
    fs.symlinkSync(path.join(root, 'missing.jpg'), path.join(root, 'dangling.jpg'));
    const { files, problems } = await scanImages(root, options);
    expect(files).toHaveLength(1);
    expect(problems).toEqual([expect.objectContaining({ path: path.join(root, 'dangling.jpg'), reason: 'not-found' })]);
  });

  it('reports an unreadable subfolder as a problem instead of failing', async () => {
    touch(path.join(root, 'locked/a.jpg'));
    touch(path.join(root, 'open/b.jpg'));
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    try {
      const { files, problems } = process.getuid?.() === 0 ? scanAsNobody(root) : await scanImages(root, options);
      expect(files.map((file) => path.relative(root, file.path))).toEqual(['open/b.jpg']);
      expect(problems).toEqual([expect.objectContaining({ path: path.join(root, 'locked'), reason: 'unreadable' })]);
    } finally {
      fs.chmodSync(path.join(root, 'locked'), 0o755);
    }
  });

  it('rejects a missing folder or a file with a clear error', async () => {
    await expect(assertScannableRoot(path.join(root, 'nope'))).rejects.toThrow(new ScanRootError(`Folder not found: ${path.join(root, 'nope')}`));
    touch(path.join(root, 'a.jpg'));
    await expect(assertScannableRoot(path.join(root, 'a.jpg'))).rejects.toThrow(/Not a folder/);
  });
});

describe('planReindex', () => {
  const root = '/photos';
  const known = new Map<string, KnownFile>([
    ['/photos/same.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
    ['/photos/changed.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
    ['/photos/touched.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
    ['/photos/bad.jpg', { size: 3, mtimeMs: 100, status: 'skipped' }],
    ['/photos/bad-fixed.jpg', { size: 3, mtimeMs: 100, status: 'skipped' }],
    ['/photos/deleted.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
    ['/photos-other/elsewhere.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
    ['/other/kept.jpg', { size: 10, mtimeMs: 100, status: 'indexed' }],
  ]);
  const scanned = [
    { path: '/photos/same.jpg', size: 10, mtimeMs: 100, device: '1', inode: '1' },
    { path: '/photos/changed.jpg', size: 11, mtimeMs: 100, device: '1', inode: '2' },
    { path: '/photos/touched.jpg', size: 10, mtimeMs: 200, device: '1', inode: '3' },
    { path: '/photos/bad.jpg', size: 3, mtimeMs: 100, device: '1', inode: '4' },
    { path: '/photos/bad-fixed.jpg', size: 30, mtimeMs: 300, device: '1', inode: '5' },
    { path: '/photos/new.jpg', size: 10, mtimeMs: 100, device: '1', inode: '6' },
  ];

  it('embeds new and changed files, keeps unchanged ones, does not retry unchanged bad files', () => {
    const plan = planReindex(root, scanned, known);
    expect(plan.toEmbed.map((file) => file.path)).toEqual([
      '/photos/changed.jpg',
      '/photos/touched.jpg',
      '/photos/bad-fixed.jpg',
      '/photos/new.jpg',
    ]);
    expect(plan.unchangedIndexed).toBe(1);
    expect(plan.unchangedSkipped).toBe(1);
  });

  it('removes only vanished files under the folder being reindexed (not a sibling with a common prefix)', () => {
    expect(planReindex(root, scanned, known).removed).toEqual(['/photos/deleted.jpg']);
  });

  it('plans nothing for an unchanged folder', () => {
    const unchanged = planReindex(root, [{ path: '/photos/same.jpg', size: 10, mtimeMs: 100, device: '1', inode: '1' }], new Map([['/photos/same.jpg', known.get('/photos/same.jpg')!]]));
    expect(unchanged).toMatchObject({ toEmbed: [], unchangedIndexed: 1, unchangedSkipped: 0, removed: [] });
  });
});
