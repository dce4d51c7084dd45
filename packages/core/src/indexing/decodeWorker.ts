/**
 * Worker thread of DecodePool: file -> CLIP pixel_values, off the main thread. onnxruntime-node's
 * run() holds the main thread for the whole inference, so preprocessing done there cannot overlap it.
 */
import { parentPort } from 'node:worker_threads';
import { isImageSkipError, prepareClipImageOf, readImageFileSync, type PreparedImage } from '../image';
import { imageMetadataOfDecoded, type ImageMetadata } from '../metadata';
import type { DecodeReply, DecodeRequest } from './decodePool';

const port = parentPort;
if (!port) throw new Error('decodeWorker must run in a worker thread');

port.on('message', (request: DecodeRequest) => {
  prepare(request).then(
    ({ image, metadata }) => {
      const reply: DecodeReply = { id: request.id, ok: true, pixelValues: image.pixelValues, width: image.width, height: image.height };
      if (metadata !== undefined) reply.metadata = metadata;
      // Transferred, not copied: the buffer is the image's own.
      port.postMessage(reply, [image.pixelValues.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const reply: DecodeReply = isImageSkipError(error)
        ? { id: request.id, ok: false, reason: error.reason, message: error.message }
        : { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    },
  );
});

/**
 * The file is read once, synchronously (this thread only decodes; the asynchronous read's trips through the
 * libuv pool cost more CPU than the read), and its metadata comes from those bytes and the decoder's header:
 * null when the EXIF block cannot be parsed at all (the indexer then leaves it to a later reindex).
 */
async function prepare(request: DecodeRequest): Promise<{ image: PreparedImage; metadata?: ImageMetadata | null }> {
  const bytes = readImageFileSync(request.path);
  const { image, format } = await prepareClipImageOf(bytes, request.spec, { maxPixels: request.maxPixels }, request.path);
  if (request.metadataRoot === undefined) return { image };
  const header = { format, width: image.width, height: image.height };
  const metadata = await imageMetadataOfDecoded(bytes, request.path, request.metadataRoot, header).catch(() => null);
  return { image, metadata };
}
