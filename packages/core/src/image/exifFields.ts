import sharp from 'sharp';

/**
 * How many EXIF fields a file carries (IFD0, the Exif sub-IFD and the GPS IFD), read from its header by sharp
 * without decoding pixels: the duplicates keeper's last tie-break. 0 without EXIF; undefined when the file
 * cannot be read. A corrupt block counts what could be read before the damage.
 */
export async function countExifFields(filePath: string): Promise<number | undefined> {
  let exif: Buffer | undefined;
  try {
    exif = (await sharp(filePath).metadata()).exif;
  } catch {
    return undefined;
  }
  return exif ? countTiffFields(exif) : 0;
}

const EXIF_IFD_POINTER = 0x8769;
const GPS_IFD_POINTER = 0x8825;

/** Fields of a raw EXIF block ("Exif\0\0" then a TIFF header, or the TIFF header itself). */
export function countTiffFields(block: Buffer): number {
  const tiff = block.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? block.subarray(6) : block;
  if (tiff.length < 8) return 0;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return 0;
  const little = order === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const visited = new Set<number>();
  let fields = 0;
  const readIfd = (offset: number) => {
    if (visited.has(offset) || offset < 8 || offset + 2 > tiff.length) return;
    visited.add(offset);
    const entries = u16(offset);
    for (let i = 0; i < entries; i++) {
      const entry = offset + 2 + i * 12;
      if (entry + 12 > tiff.length) return;
      fields++;
      const tag = u16(entry);
      if (tag === EXIF_IFD_POINTER || tag === GPS_IFD_POINTER) readIfd(u32(entry + 8));
    }
  };
  readIfd(u32(4));
  return fields;
}
