/**
 * Why an image file was skipped. The indexer records the reason and moves on; none of these is a bug
 * in the engine, so they are reported as data, not as generic exceptions.
 */
export type SkipReason =
  | 'not-found'
  | 'unreadable'
  | 'empty-file'
  | 'unsupported-format'
  | 'corrupt'
  | 'too-many-pixels';

/** Thrown for an image that cannot (or must not) be decoded; `message` is one human-readable line. */
export class ImageSkipError extends Error {
  override readonly name = 'ImageSkipError';

  constructor(
    readonly reason: SkipReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isImageSkipError(error: unknown): error is ImageSkipError {
  return error instanceof ImageSkipError;
}
