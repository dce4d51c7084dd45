import { UserInputError } from './errors';

/** Optional `data:image/jpeg;base64,` prefix, as FileReader.readAsDataURL produces. */
const DATA_URL_PREFIX = /^data:[a-z0-9.+/-]*(;[a-z0-9=.+-]+)*;base64,/i;
/** Standard or URL-safe alphabet, padding optional. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Characters of base64 needed for `bytes` bytes (with padding). */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Decodes an uploaded image sent as base64 (optionally a data: URL; whitespace and line breaks ignored).
 * Refuses, before decoding anything, uploads larger than maxBytes once decoded, and anything that is not
 * strict base64 (Buffer.from alone would silently skip invalid characters).
 */
export function decodeBase64Upload(text: string, maxBytes: number): Buffer {
  const payload = text.replace(DATA_URL_PREFIX, '');
  // Cheap upper bound first, so that a huge string is refused without copying it.
  if (payload.length > base64Length(maxBytes) * 1.1 + 1024) throw tooLarge(Math.floor((payload.length * 3) / 4), maxBytes);
  const compact = payload.replace(/\s+/g, '');
  if (compact === '') throw new UserInputError('imageBase64 is empty: send the image file encoded as base64.');
  if (!BASE64.test(compact) || compact.length % 4 === 1) {
    throw new UserInputError('imageBase64 is not valid base64: send the bytes of an image file encoded as base64 (a data: URL is accepted too).');
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const decodedSize = Math.floor((compact.length * 3) / 4) - padding;
  if (decodedSize > maxBytes) throw tooLarge(decodedSize, maxBytes);
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

function tooLarge(bytes: number, maxBytes: number): UserInputError {
  return new UserInputError(`The uploaded image is ${formatBytes(bytes)}; the limit is ${formatBytes(maxBytes)} (SIS_MAX_UPLOAD_BYTES).`);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
