/**
 * Worker thread of DecodePool: file -> CLIP pixel_values, off the main thread. onnxruntime-node's
 * run() holds the main thread for the whole inference, so preprocessing done there cannot overlap it.
 */
import { parentPort } from 'node:worker_threads';
import { prepareClipImage, isImageSkipError } from '../image';
import { readImageMetadata } from '../metadata';
import type { DecodeReply, DecodeRequest } from './decodePool';

const port = parentPort;
if (!port) throw new Error('decodeWorker must run in a worker thread');

port.on('message', (request: DecodeRequest) => {
  const metadata = request.metadataRoot === undefined ? undefined : readImageMetadata(request.path, request.metadataRoot).catch(() => undefined);
  prepareClipImage(request.path, request.spec, { maxPixels: request.maxPixels }).then(
    async (image) => {
      const reply: DecodeReply = { id: request.id, ok: true, pixelValues: image.pixelValues, width: image.width, height: image.height };
      if (metadata) reply.metadata = (await metadata) ?? null;
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
