import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AllowedRoots, isWithin } from '../../src/server/roots';
import { base64Length, decodeBase64Upload } from '../../src/server/upload';

describe('isWithin', () => {
  it.each([
    ['/photos', '/photos', true],
    ['/photos', '/photos/a/b.jpg', true],
    ['/photos', '/photos/..hidden-but-inside', true],
    ['/photos', '/photos2', false], // a sibling sharing the prefix
    ['/photos', '/photos/../etc', false],
    ['/photos', '/', false],
    ['/', '/anything', true],
  ])('isWithin(%p, %p) is %p', (root, candidate, expected) => {
    expect(isWithin(root, path.normalize(candidate))).toBe(expected);
  });
});

describe('AllowedRoots', () => {
  let work: string;
  beforeAll(() => {
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-roots-')));
    fs.mkdirSync(path.join(work, 'real', 'nested'), { recursive: true });
    fs.mkdirSync(path.join(work, 'photos2'));
    fs.symlinkSync(path.join(work, 'real'), path.join(work, 'link'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('accepts folders through a root that is itself a symlink, returning the real path', async () => {
    const roots = new AllowedRoots([path.join(work, 'link')]);
    await expect(roots.resolveFolder('nested')).resolves.toBe(path.join(work, 'real', 'nested'));
    await expect(roots.resolveFolder(path.join(work, 'real'))).resolves.toBe(path.join(work, 'real'));
  });

  it('refuses a sibling that merely shares the root name as a prefix', async () => {
    const roots = new AllowedRoots([path.join(work, 'photos')]);
    await expect(roots.resolveFolder(path.join(work, 'photos2'))).rejects.toThrow(/is outside the folders/);
  });

  it('presents paths relative to the most specific root, by either spelling, else by name', async () => {
    const roots = new AllowedRoots([path.join(work, 'link'), path.join(work, 'link', 'nested')]);
    await roots.refresh();
    expect(roots.relativePath(path.join(work, 'real', 'nested', 'a.jpg'))).toBe('a.jpg');
    expect(roots.relativePath(path.join(work, 'link', 'b', 'c.jpg'))).toBe('b/c.jpg');
    expect(roots.relativePath('/elsewhere/d.jpg')).toBe('d.jpg');
  });
});

describe('decodeBase64Upload', () => {
  const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 250, 251]);

  it('decodes standard, URL-safe, wrapped and data: URL base64', () => {
    expect(decodeBase64Upload(bytes.toString('base64'), 100).equals(bytes)).toBe(true);
    expect(decodeBase64Upload(bytes.toString('base64url'), 100).equals(bytes)).toBe(true);
    expect(decodeBase64Upload(bytes.toString('base64').replace(/(.{4})/g, '$1\n'), 100).equals(bytes)).toBe(true);
    expect(decodeBase64Upload(`data:image/jpeg;base64,${bytes.toString('base64')}`, 100).equals(bytes)).toBe(true);
  });

  it('enforces the decoded size limit exactly', () => {
    expect(decodeBase64Upload(bytes.toString('base64'), bytes.length)).toHaveLength(bytes.length);
    expect(() => decodeBase64Upload(bytes.toString('base64'), bytes.length - 1)).toThrow(/The uploaded image is 9 bytes; the limit is 8 bytes/);
    expect(base64Length(10 * 1024 * 1024)).toBe(13_981_016);
  });

  it.each(['abc$', 'a', '====', 'ab=c'])('refuses %p', (text) => {
    expect(() => decodeBase64Upload(text, 100)).toThrow(/not valid base64|is empty/);
  });
});
