/**
 * reindex(dir) through a symlink that leaves the allowed roots answers the same whatever lies behind it
 * (issue 10, finding 3): "linkout/secret.txt" (exists outside) and "linkout/nothere" (does not) were told apart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { AllowedRoots } from '../../src/server/roots';

describe('reindex(dir) through a symlink out of the roots', () => {
  let work: string;
  let root: string;
  let outside: string;
  beforeAll(() => {
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-leak-')));
    root = path.join(work, 'photos');
    outside = path.join(work, 'outside');
    fs.mkdirSync(path.join(root, 'inner', 'deeper'), { recursive: true });
    fs.mkdirSync(path.join(outside, 'folder', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.writeFileSync(path.join(outside, 'folder', 'file.jpg'), 'x');
    fs.symlinkSync(outside, path.join(root, 'linkout'));
    fs.symlinkSync(path.join(outside, 'folder'), path.join(root, 'inner', 'linkfolder'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'linkfile'));
    fs.symlinkSync(path.join(outside, 'gone'), path.join(root, 'dangling'));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  async function answer(dir: string): Promise<string> {
    try {
      return `resolved ${await new AllowedRoots([root]).resolveFolder(dir)}`;
    } catch (error) {
      // The message echoes the request: compare what it says about the request.
      return (error as Error).message.split(dir).join('<dir>');
    }
  }

  it('answers "outside" for linkout/secret.txt and linkout/nothere alike', async () => {
    const existing = await answer('linkout/secret.txt');
    expect(existing).toMatch(/is outside the folders/);
    expect(await answer('linkout/nothere')).toBe(existing);
  });

  it('gives one answer for any path below any link that leaves the root, whether or not it exists', async () => {
    const linkPrefix = fc.constantFrom('linkout', 'inner/linkfolder', 'linkfile', 'dangling', './linkout', 'inner/../linkout');
    const existingTail = fc.constantFrom('', 'secret.txt', 'folder', 'folder/sub', 'folder/file.jpg', 'sub', 'file.jpg');
    const missingTail = fc.array(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 3 }).map((parts) => `nothere-${parts.join('/')}`);
    const tail = fc.oneof(existingTail, missingTail, fc.tuple(existingTail, missingTail).map(([a, b]) => (a ? `${a}/${b}` : b)));
    const expected = await answer('linkout/secret.txt');
    await fc.assert(
      fc.asyncProperty(linkPrefix, tail, fc.boolean(), async (link, rest, absolute) => {
        const relative = rest ? `${link}/${rest}` : link;
        const dir = absolute ? path.join(root, relative) : relative;
        expect(await answer(dir)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('still tells "not found" apart inside the root, where nothing outside is revealed', async () => {
    expect(await answer('inner/nothere')).toBe('Folder not found: <dir>');
    expect(await answer('inner/deeper')).toBe(`resolved ${path.join(root, 'inner', 'deeper')}`);
  });
});
