/**
 * Decoding uploads is bounded (issue 10, finding 6): six 9500x9500 PNGs at once took the server from 262 MB to
 * 1.86 GB. Now a bound on decodes in flight and on the memory their headers declare (checked before decoding)
 * answers BUSY ("retry") past it, and an image too large for the whole budget is refused as bad input.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { decodeBytes, UploadDecodeBudget } from '../../src/server/uploadBudget';
import { startTestServer, type TestServer } from '../server/helpers';

const sharp = createRequire(require.resolve('@sis/core'))('sharp') as (input: {
  create: { width: number; height: number; channels: 3; background: { r: number; g: number; b: number } };
}) => { png(): { toBuffer(): Promise<Buffer> } };

const MiB = 1024 * 1024;
const header = (width: number, height: number) => ({ width, height, channels: 3, bytesPerSample: 1 });

describe('UploadDecodeBudget', () => {
  it('never admits more decodes or more declared bytes than its limits, and admits whatever fits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.oneof(fc.record({ acquire: fc.integer({ min: 1, max: 120 }) }), fc.record({ release: fc.nat() })), { maxLength: 60 }),
        (maxConcurrent, maxMiB, steps) => {
          const budget = new UploadDecodeBudget({ maxConcurrent, maxBytes: maxMiB * MiB });
          const held: { release: () => void; bytes: number }[] = [];
          for (const step of steps) {
            if ('release' in step) {
              const [entry] = held.splice(step.release % Math.max(1, held.length), 1);
              entry?.release();
              entry?.release(); // idempotent
              continue;
            }
            const side = Math.round(Math.sqrt((step.acquire * MiB) / 4));
            const bytes = decodeBytes(header(side, side));
            const used = held.reduce((sum, entry) => sum + entry.bytes, 0);
            const fits = bytes <= maxMiB * MiB && held.length < maxConcurrent && used + bytes <= maxMiB * MiB;
            try {
              held.push({ release: budget.acquire(header(side, side)), bytes });
              expect(fits).toBe(true);
            } catch (error) {
              expect(fits).toBe(false);
              const code = (error as { extensions?: { code?: string } }).extensions?.code;
              expect(code).toBe(bytes > maxMiB * MiB ? 'BAD_USER_INPUT' : 'BUSY');
            }
            expect(budget.current.decodes).toBeLessThanOrEqual(maxConcurrent);
            expect(budget.current.bytes).toBeLessThanOrEqual(maxMiB * MiB);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('searchByImage under concurrent big uploads', () => {
  let server: TestServer;
  let big: string;
  beforeAll(async () => {
    server = await startTestServer({ photoCount: 2, server: { uploadDecode: { maxConcurrent: 1, maxBytes: 160 * MiB } } });
    await server.engine.indexer!.reindex(server.photos);
    big = (await sharp({ create: { width: 4000, height: 4000, channels: 3, background: { r: 30, g: 120, b: 200 } } }).png().toBuffer()).toString('base64');
  }, 120_000);
  afterAll(() => server?.close());

  const searchByImage = (imageBase64: string) =>
    server.gql<{ searchByImage: { hits: unknown[] } }>('query Q($img: String!) { searchByImage(imageBase64: $img, k: 1) { hits { id } } }', { img: imageBase64 });

  it('decodes within its bound and answers the rest BUSY, with a message saying to retry; the budget is released after', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => searchByImage(big)));
    const busy = answers.filter((answer) => answer.errors?.[0]?.extensions?.code === 'BUSY');
    const served = answers.filter((answer) => answer.data?.searchByImage.hits.length === 1);
    expect(served.length + busy.length).toBe(6);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(busy[0]!.errors![0]!.message).toMatch(/busy decoding other uploaded images.*retry in a moment/);
    // Nothing is held once they are all answered: a retry goes through.
    expect((await searchByImage(big)).data?.searchByImage.hits).toHaveLength(1);
  }, 120_000);

  it('refuses, from its header alone, an image whose decode would not fit in the whole budget', async () => {
    const huge = (await sharp({ create: { width: 9500, height: 9500, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer()).toString('base64');
    const answer = await searchByImage(huge);
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(/9500x9500 pixels: decoding it would take about .* more than this server decodes at once/);
  }, 60_000);
});
