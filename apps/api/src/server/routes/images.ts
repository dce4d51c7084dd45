import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { ImageSkipError, type ImageStore } from '@sis/core';
import type { Logger } from 'pino';
import { parseImageId } from '../schema/present';
import type { ThumbnailCache } from '../thumbnails';
import { byExtension, sniffImageType } from './contentType';
import { openIndexedFile, type ServePolicy } from './indexedFile';

/** Browsers may reuse an image for an hour, then revalidate (ETag / Last-Modified); "private": no shared caches. */
export const IMAGE_CACHE_CONTROL = 'private, max-age=3600';

function notFound(res: Response, message = 'No indexed image has this id.'): void {
  res.status(404).json({ error: message });
}

/**
 * The indexed image an :id names, or undefined. Only catalogue rows are ever looked up: no path comes from the
 * request. A replica answers from its own copy of the rows, so it serves the files it knows while PostgreSQL is
 * unreachable (and, should it need the catalogue then, the error handler answers 503).
 */
function lookup(library: ImageStore, id: string | undefined) {
  const imageId = parseImageId(id ?? '');
  return imageId === undefined ? undefined : library.getImage(imageId);
}

/**
 * GET /images/:id (the original file) and GET /thumbnails/:id (a JPEG preview). They serve only files that are
 * in the index: the id must be a catalogue id, and the file read is the catalogue's path for it, checked at
 * request time to still be the file that was indexed, inside an allowed root (indexedFile.ts). A thumbnail is
 * served only while its file passes the same check; otherwise the cached one is deleted.
 */
export function imageRoutes(deps: { library: ImageStore; thumbnails: ThumbnailCache; logger: Logger; policy: ServePolicy }): Router {
  const router = Router();

  router.get('/images/:id', async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    let image;
    try {
      image = lookup(deps.library, req.params.id);
    } catch (error) {
      return next(error);
    }
    if (!image) return notFound(res);
    const opened = await openIndexedFile(image, deps.policy).catch((error: unknown) => error as Error);
    if (opened instanceof Error) return next(opened);
    if (!opened.ok) {
      deps.logger.warn({ imageId: image.id, reason: opened.reason }, 'not serving an indexed image');
      return notFound(res, opened.message);
    }
    const { handle, size, mtimeMs } = opened;
    try {
      const head = Buffer.alloc(16);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const contentType = sniffImageType(head.subarray(0, bytesRead)) ?? byExtension[path.extname(image.path).toLowerCase()] ?? 'application/octet-stream';
      res.set({
        'Content-Type': contentType,
        'Cache-Control': IMAGE_CACHE_CONTROL,
        'X-Content-Type-Options': 'nosniff',
        ETag: `W/"${size.toString(16)}-${Math.trunc(mtimeMs).toString(16)}"`,
        'Last-Modified': new Date(mtimeMs).toUTCString(),
      });
      if (req.fresh) {
        res.status(304).end();
        await handle.close();
        return;
      }
      res.setHeader('Content-Length', String(size));
      if (req.method === 'HEAD') {
        res.end();
        await handle.close();
        return;
      }
      // The descriptor that passed the checks is the one read: nothing swapped in after them is served.
      await pipeline(handle.createReadStream({ start: 0, end: Math.max(0, size - 1), autoClose: true }), res).catch((error: unknown) => {
        if (!res.headersSent) next(error);
        else res.destroy();
      });
    } catch (error) {
      await handle.close().catch(() => undefined);
      next(error);
    }
  });

  router.get('/thumbnails/:id', async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    let image;
    try {
      image = lookup(deps.library, req.params.id);
    } catch (error) {
      return next(error);
    }
    if (!image) return notFound(res);
    let thumbnail: { file: string; cached: boolean };
    const opened = await openIndexedFile(image, deps.policy).catch((error: unknown) => error as Error);
    if (opened instanceof Error) return next(opened);
    if (!opened.ok) {
      // A thumbnail must not outlive its file (or a changed file).
      await deps.thumbnails.forget(image.id);
      deps.logger.warn({ imageId: image.id, reason: opened.reason }, 'not serving a thumbnail');
      return notFound(res, opened.message);
    }
    try {
      thumbnail = await deps.thumbnails.get(image, () => opened.handle.readFile());
    } catch (error) {
      if (error instanceof ImageSkipError) {
        deps.logger.warn({ imageId: image.id, reason: error.reason, message: error.message }, 'cannot make a thumbnail');
        return notFound(res, 'The image is in the index but its file can no longer be read; reindex its folder.');
      }
      return next(error);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
    res.sendFile(
      thumbnail.file,
      {
        dotfiles: 'allow', // the data directory may sit below a hidden folder
        headers: {
          'Content-Type': 'image/jpeg',
          'Cache-Control': IMAGE_CACHE_CONTROL,
          'X-Content-Type-Options': 'nosniff',
          'X-Thumbnail-Cache': thumbnail.cached ? 'hit' : 'miss',
        },
        cacheControl: false,
      },
      (error) => {
        if (error && !res.headersSent) next(error);
      },
    );
  });

  return router;
}
