import { render, screen, within } from '@testing-library/react';
import { Gallery } from '../../src/components/Gallery';
import { Lightbox } from '../../src/components/Lightbox';
import { formatCamera, formatTaken, hitCaption } from '../../src/format';
import { makeHit } from './mockApi';

/** What a hit's recorded metadata (SearchHit.takenAt, cameraMake/Model, fileType, latitude/longitude) looks like on a tile and in the lightbox. */
const withCamera = {
  ...makeHit(0),
  takenAt: '2015-03-01T09:30:00.000Z',
  cameraMake: 'Canon',
  cameraModel: 'EOS 5D',
  fileType: 'jpeg',
  latitude: 41.90278,
  longitude: 12.49637,
};
const bare = { ...makeHit(1), fileType: 'png' };

describe('hit metadata', () => {
  it('a tile shows the date taken and the camera under its path; a tile without them shows neither', () => {
    render(<Gallery hits={[withCamera, bare]} onOpen={jest.fn()} />);
    const [first, second] = within(screen.getByRole('list', { name: 'Results' })).getAllByRole('listitem');
    expect(within(first!).getByTestId('tile-meta')).toHaveTextContent('2015-03-01 · Canon EOS 5D');
    expect(within(second!).queryByTestId('tile-meta')).toBeNull();
  });

  it('the lightbox lists size and type, date taken, camera and location; absent ones are left out', () => {
    const { rerender } = render(<Lightbox hits={[withCamera, bare]} index={0} onIndexChange={jest.fn()} onClose={jest.fn()} onFindSimilar={jest.fn()} />);
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByTestId('lightbox-size')).toHaveTextContent('500 × 375 px');
    expect(within(dialog).getByTestId('lightbox-type')).toHaveTextContent('JPEG');
    expect(within(dialog).getByTestId('lightbox-taken')).toHaveTextContent('2015-03-01 09:30');
    expect(within(dialog).getByTestId('lightbox-camera')).toHaveTextContent('Canon EOS 5D');
    expect(within(dialog).getByTestId('lightbox-location')).toHaveTextContent('41.9028, 12.4964');

    rerender(<Lightbox hits={[withCamera, bare]} index={1} onIndexChange={jest.fn()} onClose={jest.fn()} onFindSimilar={jest.fn()} />);
    const next = screen.getByRole('dialog');
    expect(within(next).getByTestId('lightbox-type')).toHaveTextContent('PNG');
    for (const id of ['lightbox-taken', 'lightbox-camera', 'lightbox-location']) expect(within(next).queryByTestId(id)).toBeNull();
  });

  it('formats dates and camera names as people read them', () => {
    expect(formatTaken('2020-12-24T00:00:00.000Z')).toBe('2020-12-24');
    expect(formatTaken('2020-12-24T18:05:09.000Z')).toBe('2020-12-24 18:05');
    expect(formatCamera('Canon', 'Canon EOS R5')).toBe('Canon EOS R5');
    expect(formatCamera('Apple', 'iPhone 12')).toBe('Apple iPhone 12');
    expect(formatCamera(null, 'X100V')).toBe('X100V');
    expect(formatCamera('  ', null)).toBeUndefined();
    expect(hitCaption({ takenAt: null, cameraMake: 'Nikon', cameraModel: null })).toBe('Nikon');
    expect(hitCaption({})).toBeUndefined();
  });
});
