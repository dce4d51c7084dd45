import { GraphQLError } from 'graphql';
import type { ImageHeader } from '@sis/core';
import { UserInputError } from './errors';
import { formatBytes } from './upload';

export const BUSY = 'BUSY';

/** The server is at its bound for decoding uploads: the same request may succeed in a moment. */
export class BusyError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: BUSY } });
    this.name = 'BusyError';
  }
}

export interface UploadDecodeLimits {
  /** Uploaded images decoded at once. */
  maxConcurrent: number;
  /** Memory all decodes in flight may take together, by what their headers declare. */
  maxBytes: number;
}

export const DEFAULT_UPLOAD_DECODE_LIMITS: UploadDecodeLimits = { maxConcurrent: 2, maxBytes: 512 * 1024 * 1024 };

/** Memory decoding takes: every pixel at full size, at least 4 bytes each (RGBA), at the declared sample size. */
export function decodeBytes(header: Pick<ImageHeader, 'width' | 'height' | 'channels' | 'bytesPerSample'>): number {
  return header.width * header.height * Math.max(4, header.channels) * header.bytesPerSample;
}

/**
 * Admission control for decoding uploaded images (searchByImage): a bound on decodes in flight and on the memory
 * their headers declare, checked before any pixel is decoded. Past either, the request fails at once with BUSY
 * (retry) rather than queueing, so memory stays bounded however many clients upload; an image that would not
 * fit in the whole budget is refused as too large.
 */
export class UploadDecodeBudget {
  private inFlight = 0;
  private bytesInFlight = 0;

  constructor(readonly limits: UploadDecodeLimits = DEFAULT_UPLOAD_DECODE_LIMITS) {}

  /** Reserves room for one decode; returns the release function (idempotent). */
  acquire(header: Pick<ImageHeader, 'width' | 'height' | 'channels' | 'bytesPerSample'>): () => void {
    const bytes = decodeBytes(header);
    if (bytes > this.limits.maxBytes) {
      throw new UserInputError(
        `The uploaded image is ${header.width}x${header.height} pixels: decoding it would take about ${formatBytes(bytes)}, more than this server decodes at once (${formatBytes(this.limits.maxBytes)}). Send a smaller image.`,
      );
    }
    if (this.inFlight >= this.limits.maxConcurrent || this.bytesInFlight + bytes > this.limits.maxBytes) {
      throw new BusyError(
        `The server is busy decoding other uploaded images (${this.inFlight} in progress, ${formatBytes(this.bytesInFlight)} of ${formatBytes(this.limits.maxBytes)}): retry in a moment.`,
      );
    }
    this.inFlight++;
    this.bytesInFlight += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.bytesInFlight -= bytes;
    };
  }

  get current(): { decodes: number; bytes: number } {
    return { decodes: this.inFlight, bytes: this.bytesInFlight };
  }
}
