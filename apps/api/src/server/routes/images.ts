import { Router, type NextFunction, type Request, type Response } from 'express';
import { ImageSkipError, type ImageStore } from '@sis/core';
import type { Logger } from 'pino';
import { parseImageId } from '../schema/present';
import type { ThumbnailCache } from '../thumbnails';
import { imageContentType } from './contentType';

/** Browsers may reuse an image for an hour, then revalidate (ETag / Last-Modified); "private": no shared caches. */
export const IMAGE_CACHE_CONTROL = 'private, max-age=3600';

function notFound(res: Response, message = 'No indexed image has this id.'): void {
  res.status(404).json({ error: message });
}

/** The indexed image an :id names, or undefined. Only catalogue rows are ever looked up: no path comes from the request. */
function lookup(library: ImageStore, id: string | undefined) {
  const imageId = parseImageId(id ?? '');
  return imageId === undefined ? undefined : library.getById(imageId);
}

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || (error as { status?: number } | undefined)?.status === 404;
}

/**
 * GET /images/:id (the original file) and GET /thumbnails/:id (a JPEG preview). They serve only files that are
 * in the index: the id must be a catalogue id, and the file read is the catalogue's path for it.
 */
export function imageRoutes(deps: { library: ImageStore; thumbnails: ThumbnailCache; logger: Logger }): Router {
  const router = Router();

  router.get('/images/:id', async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    const image = lookup(deps.library, req.params.id);
    if (!image) return notFound(res);
    let contentType: string;
    try {
      contentType = await imageContentType(image.path);
    } catch (error) {
      if (isMissingFile(error)) return notFound(res, 'The image is in the index but its file is gone; reindex its folder.');
      return next(error);
    }
    res.sendFile(
      image.path,
      {
        dotfiles: 'allow', // indexed files only (SIS_INCLUDE_HIDDEN may have indexed hidden ones)
        headers: { 'Content-Type': contentType, 'Cache-Control': IMAGE_CACHE_CONTROL, 'X-Content-Type-Options': 'nosniff' },
        cacheControl: false,
      },
      (error) => {
        if (!error || res.headersSent) return;
        if (isMissingFile(error)) notFound(res, 'The image is in the index but its file is gone; reindex its folder.');
        else next(error);
      },
    );
  });

  router.get('/thumbnails/:id', async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    const image = lookup(deps.library, req.params.id);
    if (!image) return notFound(res);
    let thumbnail: { file: string; cached: boolean };
    try {
      thumbnail = await deps.thumbnails.get(image);
    } catch (error) {
      if (error instanceof ImageSkipError) {
        deps.logger.warn({ imageId: image.id, reason: error.reason, message: error.message }, 'cannot make a thumbnail');
        return notFound(res, 'The image is in the index but its file can no longer be read; reindex its folder.');
      }
      return next(error);
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
