import { planReindex, type KnownFile } from '../../src/indexing/plan';

const file = (inode: string, device = '1') => ({ path: '/photos/a.jpg', size: 10, mtimeMs: 100, device, inode });
const known = (fields: Partial<KnownFile>) => new Map([['/photos/a.jpg', { size: 10, mtimeMs: 100, status: 'indexed' as const, ...fields }]]);

describe('planReindex and file identity', () => {
  it('re-embeds a file swapped for another inode under the same name, size and mtime', () => {
    expect(planReindex('/photos', [file('8')], known({ device: '1', inode: '7' })).toEmbed).toHaveLength(1);
  });
  it('records the identity of unchanged rows that have none, or whose disk was remounted (device only)', () => {
    expect(planReindex('/photos', [file('7')], known({ device: null, inode: null }))).toMatchObject({
      toEmbed: [], unchangedIndexed: 1, identityUpdates: [{ path: '/photos/a.jpg', device: '1', inode: '7' }],
    });
    expect(planReindex('/photos', [file('7', '2')], known({ device: '1', inode: '7' }))).toMatchObject({ toEmbed: [], identityUpdates: [{ device: '2' }] });
    expect(planReindex('/photos', [file('7')], known({ device: '1', inode: '7' })).identityUpdates).toEqual([]);
  });
});
