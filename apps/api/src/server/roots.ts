import fs from 'node:fs/promises';
import path from 'node:path';
import { UserInputError } from './errors';

/** Longest folder argument accepted by reindex (Linux PATH_MAX). */
const MAX_DIR_LENGTH = 4096;

/** True when `candidate` is `root` or below it (both absolute and normalised). */
export function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

async function realpathOrUndefined(target: string): Promise<string | undefined> {
  try {
    return await fs.realpath(target);
  } catch {
    return undefined;
  }
}

/**
 * Where `target` leads even though it does not exist: the real path of its deepest existing ancestor with the
 * rest appended, following dangling symlinks to where they point. Undefined past 40 links (a loop).
 */
async function whereItLeads(target: string, links = 0): Promise<string | undefined> {
  if (links > 40) return undefined;
  for (let current = target; ; current = path.dirname(current)) {
    const real = await realpathOrUndefined(current);
    if (real !== undefined) return path.join(real, path.relative(current, target));
    const link = await fs.readlink(current).catch(() => undefined);
    if (link !== undefined) {
      const parent = await whereItLeads(path.dirname(current), links + 1);
      return parent === undefined ? undefined : whereItLeads(path.join(path.resolve(parent, link), path.relative(current, target)), links + 1);
    }
    if (path.dirname(current) === current) return undefined;
  }
}

/**
 * The folders this server may index (SIS_ALLOWED_ROOTS, default SIS_IMAGE_DIR) and the folder checks that go
 * with them: a folder is accepted only if its real path (symlinks and `..` resolved by the file system) lies
 * inside the real path of a root.
 */
export class AllowedRoots {
  /** Every spelling of every root (as configured, and real path), longest first: for presenting paths. */
  private spellings: string[];

  constructor(readonly roots: readonly string[]) {
    if (roots.length === 0) throw new Error('At least one allowed root is needed');
    this.spellings = sortLongestFirst(roots.map((root) => path.resolve(root)));
  }

  /** Learns the real paths of the roots (they may be symlinks, or created after the server started). */
  async refresh(): Promise<void> {
    const real = await Promise.all(this.roots.map(realpathOrUndefined));
    this.spellings = sortLongestFirst([...this.roots.map((root) => path.resolve(root)), ...real.filter((r): r is string => r !== undefined)]);
  }

  /**
   * The real path of the folder a client asked to index, or UserInputError. A relative `dir` is taken
   * relative to the first root. Outside the roots is refused whether or not the folder exists, so the
   * answer reveals nothing about the file system outside them.
   */
  async resolveFolder(dir: string): Promise<string> {
    const trimmed = dir.trim();
    if (trimmed === '') throw new UserInputError('dir is empty: give the folder to index, e.g. "holidays" (inside the image folder) or an absolute path.');
    if (trimmed.length > MAX_DIR_LENGTH) throw new UserInputError(`dir is ${trimmed.length} characters long; the limit is ${MAX_DIR_LENGTH}.`);
    if (trimmed.includes('\0')) throw new UserInputError('dir contains a NUL character.');
    const requested = path.resolve(this.roots[0]!, trimmed);
    await this.refresh();
    const realRoots = (await Promise.all(this.roots.map(realpathOrUndefined))).filter((r): r is string => r !== undefined);
    const outside = () =>
      new UserInputError(
        `${trimmed} is outside the folders this server may index (${this.roots.join(', ')}). ` +
          'Symbolic links and ".." are resolved before this check. Add the folder to SIS_ALLOWED_ROOTS to allow it.',
      );

    let real: string;
    try {
      real = await fs.realpath(requested);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Where the path would lead: its deepest existing folder, symlinks resolved. Judging by the spelling
      // alone would say "not found" for linkout/nothere but "outside" for linkout/secret.txt, revealing the file.
      const leadsTo = await whereItLeads(requested);
      if (leadsTo === undefined || !realRoots.some((root) => isWithin(root, leadsTo))) throw outside();
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserInputError(`Folder not found: ${trimmed}`);
      throw new UserInputError(`Cannot open folder ${trimmed} (${code ?? 'unknown error'}).`);
    }
    if (!realRoots.some((root) => isWithin(root, real))) throw outside();
    const stats = await fs.stat(real);
    if (!stats.isDirectory()) throw new UserInputError(`Not a folder: ${trimmed}`);
    return real;
  }

  /** True when a real path (symlinks resolved) lies inside the real path of a root, as the roots are now. */
  async containsRealPath(real: string): Promise<boolean> {
    const realRoots = await Promise.all(this.roots.map(realpathOrUndefined));
    return realRoots.some((root) => root !== undefined && isWithin(root, real));
  }

  /** True when a path as spelled (not resolved) lies inside a root, by either spelling of the root. */
  containsPath(file: string): boolean {
    return this.spellings.some((root) => isWithin(root, path.resolve(file)));
  }

  /**
   * How a client sees an indexed file: its path relative to the root that holds it (the most specific one),
   * with "/" separators; for a file outside every root (indexed by the command line from elsewhere) its name.
   */
  relativePath(file: string): string {
    for (const root of this.spellings) {
      if (isWithin(root, file) && file !== root) return path.relative(root, file).split(path.sep).join('/');
    }
    return path.basename(file);
  }
}

function sortLongestFirst(paths: string[]): string[] {
  return [...new Set(paths)].sort((a, b) => b.length - a.length);
}
