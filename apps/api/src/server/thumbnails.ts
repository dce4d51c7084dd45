import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderThumbnail } from '@sis/core';

export const THUMBNAIL_DIR_NAME = 'thumbnails';

export interface ThumbnailSource {
  id: number;
  path: string;
  /** When the catalogue last (re)embedded the file: a thumbnail older than this is redone. */
  indexedAt: number;
}

/**
 * Thumbnails on disk under <dataDir>/thumbnails/<id>.jpg, made on first request. Files are written to a
 * temporary name and renamed, so a reader never sees half a thumbnail; concurrent requests for the same
 * image share one rendering.
 */
export class ThumbnailCache {
  private readonly inFlight = new Map<number, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly options: { maxSide: number; maxPixels: number },
  ) {}

  fileFor(id: number): string {
    if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`Invalid image id ${id}`);
    return path.join(this.dir, `${id}.jpg`);
  }

  /** Deletes the cached thumbnail of an image (its file is gone or changed). */
  async forget(id: number): Promise<void> {
    await fs.rm(this.fileFor(id), { force: true });
  }

  /**
   * The thumbnail file of an indexed image, and whether it was already there. `read` gives the image's bytes
   * (from the descriptor the caller checked); without it the file is read by path.
   */
  async get(image: ThumbnailSource, read?: () => Promise<Buffer>): Promise<{ file: string; cached: boolean }> {
    const file = this.fileFor(image.id);
    const stats = await fs.stat(file).catch(() => undefined);
    if (stats && stats.mtimeMs >= image.indexedAt) return { file, cached: true };
    let pending = this.inFlight.get(image.id);
    if (!pending) {
      pending = this.render(image, file, read).finally(() => this.inFlight.delete(image.id));
      this.inFlight.set(image.id, pending);
    }
    return { file: await pending, cached: false };
  }

  private async render(image: ThumbnailSource, file: string, read?: () => Promise<Buffer>): Promise<string> {
    const thumbnail = await renderThumbnail(read ? await read() : image.path, this.options);
    await fs.mkdir(this.dir, { recursive: true });
    const temporary = `${file}.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
    try {
      await fs.writeFile(temporary, thumbnail.data, { flag: 'wx' });
      await fs.rename(temporary, file);
    } catch (error) {
      await fs.rm(temporary, { force: true });
      throw error;
    }
    return file;
  }
}
