import sharp from 'sharp';

/** What an image file declares about itself, read from its header without decoding any pixels. */
export interface ImageHeader {
  format: string;
  width: number;
  height: number;
  channels: number;
  /** 1 for 8-bit samples, 2 for 16-bit, 4 for float. */
  bytesPerSample: number;
}

const BYTES_PER_SAMPLE: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4, complex: 8, double: 8, dpcomplex: 16 };

/**
 * The header of an image in memory, or undefined when it cannot be read (decoding will then say why). Lets a
 * caller budget the memory a decode will take (width x height x channels x bytes per sample) before starting it.
 */
export async function readImageHeader(bytes: Buffer): Promise<ImageHeader | undefined> {
  try {
    const metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (!(metadata.width >= 1 && metadata.height >= 1)) return undefined;
    return {
      format: metadata.format,
      width: metadata.width,
      height: metadata.height,
      channels: metadata.channels ?? 4,
      bytesPerSample: BYTES_PER_SAMPLE[metadata.depth ?? 'uchar'] ?? 4,
    };
  } catch {
    return undefined;
  }
}
