import { Profiler } from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Gallery } from '../../src/components/Gallery';
import { makeHit } from './mockApi';

describe('Gallery', () => {
  it('shows the hits in order, each with its score, alt text from the file name, and its path on hover or focus', () => {
    const hits = [makeHit(0), makeHit(1), makeHit(2)];
    render(<Gallery hits={hits} onOpen={jest.fn()} />);
    const tiles = within(screen.getByRole('list', { name: 'Results' })).getAllByRole('listitem');
    expect(tiles.map((tile) => tile.dataset.id)).toEqual(['1', '2', '3']);
    expect(tiles.map((tile) => tile.querySelector('.score')!.textContent)).toEqual(['0.310', '0.300', '0.290']);

    const image = screen.getByRole('img', { name: 'dog in snow 1' });
    expect(image).toHaveAttribute('src', 'http://api.test/thumbnails/1');
    const button = screen.getByRole('button', { name: 'dog in snow 1, score 0.310' });
    expect(button).toHaveAttribute('title', 'holidays/2024/dog_in-snow-1.jpg');
    expect(button).toHaveAccessibleDescription('holidays/2024/dog_in-snow-1.jpg');
  });

  it('opens the clicked tile, also from the keyboard', async () => {
    const user = userEvent.setup();
    const onOpen = jest.fn();
    render(<Gallery hits={[makeHit(0), makeHit(1)]} onOpen={onOpen} />);
    await user.tab();
    expect(screen.getByRole('button', { name: /dog in snow 1/ })).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(onOpen).toHaveBeenLastCalledWith(0);
    await user.tab();
    expect(screen.getByRole('button', { name: /dog in snow 2/ })).toHaveFocus();
    await user.click(screen.getByRole('button', { name: /dog in snow 2/ }));
    expect(onOpen).toHaveBeenLastCalledWith(1);
  });

  it('renders 100 results with lazily loaded thumbnails that reserve their space', () => {
    const hits = Array.from({ length: 100 }, (_, i) => makeHit(i));
    // Counted, not timed: the whole list mounts in one commit, with no per-tile effects that render again.
    const commits: string[] = [];
    render(
      <Profiler id="gallery" onRender={(_id, phase) => commits.push(phase)}>
        <Gallery hits={hits} onOpen={jest.fn()} />
      </Profiler>,
    );
    expect(commits).toEqual(['mount']);
    const images = screen.getAllByRole('img');
    expect(images).toHaveLength(100);
    for (const image of images) {
      expect(image).toHaveAttribute('loading', 'lazy');
      expect(image).toHaveAttribute('decoding', 'async');
      expect(image).toHaveAttribute('width', '500');
      expect(image).toHaveAttribute('height', '375');
    }
  });

  it('marks itself busy while a newer search is on its way', () => {
    render(<Gallery hits={[makeHit(0)]} onOpen={jest.fn()} busy />);
    expect(screen.getByRole('list')).toHaveAttribute('aria-busy', 'true');
  });
});
