import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { LIVE_SEARCH_DELAY_MS, SearchForm } from '../../src/components/SearchForm';

describe('SearchForm', () => {
  it('searches on Enter with the trimmed text, and not for empty text', async () => {
    const user = userEvent.setup();
    const onSearch = jest.fn();
    render(<SearchForm query="" live={false} onSearch={onSearch} />);
    const box = screen.getByRole('searchbox', { name: 'Describe the photo you are looking for' });
    await user.type(box, '   {Enter}');
    expect(onSearch).not.toHaveBeenCalled();
    await user.type(box, ' a dog in the snow {Enter}');
    expect(onSearch).toHaveBeenCalledTimes(1);
    expect(onSearch).toHaveBeenCalledWith('a dog in the snow', { live: false });
  });

  it('does not search while typing until searches are fast enough (live)', async () => {
    jest.useFakeTimers();
    try {
      const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
      const onSearch = jest.fn();
      const { rerender } = render(<SearchForm query="" live={false} onSearch={onSearch} />);
      const box = screen.getByRole('searchbox');
      await user.type(box, 'dog');
      act(() => jest.advanceTimersByTime(2 * LIVE_SEARCH_DELAY_MS));
      expect(onSearch).not.toHaveBeenCalled();
      expect(screen.getByText(/Press Enter to search/)).toBeInTheDocument();

      rerender(<SearchForm query="" live onSearch={onSearch} />);
      expect(screen.getByText(/Results update as you type/)).toBeInTheDocument();
      await user.type(box, 's in');
      expect(onSearch).not.toHaveBeenCalled();
      act(() => jest.advanceTimersByTime(LIVE_SEARCH_DELAY_MS));
      // Debounced: one search for the text as it stood when typing paused.
      expect(onSearch).toHaveBeenCalledTimes(1);
      expect(onSearch).toHaveBeenCalledWith('dogs in', { live: true });
    } finally {
      jest.useRealTimers();
    }
  });

  it('follows the query when it changes from outside (back/forward), not when it echoes the typing', async () => {
    const user = userEvent.setup();
    const { rerender } = render(<SearchForm query="cat" live={false} onSearch={jest.fn()} />);
    const box = screen.getByRole<HTMLInputElement>('searchbox');
    expect(box.value).toBe('cat');
    rerender(<SearchForm query="a red bicycle" live={false} onSearch={jest.fn()} />);
    expect(box.value).toBe('a red bicycle');
    await user.clear(box);
    await user.type(box, 'boat{Enter}');
    rerender(<SearchForm query="boat" live={false} onSearch={jest.fn()} />);
    expect(box.value).toBe('boat');
  });

  it('shows an image query as a chip that can be removed, and takes an image file from the picker', async () => {
    const user = userEvent.setup();
    const onRemoveChip = jest.fn();
    const onPickImage = jest.fn();
    render(
      <SearchForm
        query=""
        live={false}
        onSearch={jest.fn()}
        chip={{ kind: 'image', label: 'beach.png', imageSrc: 'data:image/png;base64,AAAA' }}
        onRemoveChip={onRemoveChip}
        onPickImage={onPickImage}
      />,
    );
    expect(screen.getByTestId('query-chip')).toHaveTextContent('beach.png');
    await user.click(screen.getByRole('button', { name: 'Remove beach.png' }));
    expect(onRemoveChip).toHaveBeenCalledTimes(1);

    const file = new File([new Uint8Array([1, 2, 3])], 'cat.jpg', { type: 'image/jpeg' });
    await user.upload(screen.getByLabelText('Search by an image file'), file);
    expect(onPickImage).toHaveBeenCalledWith(file);
  });

  it('is disabled until the server has answered', () => {
    render(<SearchForm query="" live={false} onSearch={jest.fn()} disabled />);
    expect(screen.getByRole('searchbox')).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Search' })).toBeDisabled();
  });
});
