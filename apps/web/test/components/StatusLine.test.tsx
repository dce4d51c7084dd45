import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StatusLine } from '../../src/components/StatusLine';

describe('StatusLine', () => {
  it('reports results with the query, the time and the size of the index', () => {
    render(<StatusLine status={{ kind: 'results', query: { kind: 'text', text: 'a dog in the snow' }, count: 12, tookMs: 18.2, totalImages: 8091 }} />);
    expect(screen.getByRole('status')).toHaveTextContent("Found 12 results for 'a dog in the snow' in 18 ms (of 8,091 images)");
  });

  it('speaks of one result, of similar images and of image queries', () => {
    const { rerender } = render(<StatusLine status={{ kind: 'results', query: { kind: 'text', text: 'cat' }, count: 1, tookMs: 1.234, totalImages: 1 }} />);
    expect(screen.getByRole('status')).toHaveTextContent("Found 1 result for 'cat' in 1.2 ms (of 1 image)");
    rerender(<StatusLine status={{ kind: 'results', query: { kind: 'similar', label: 'trips/beach.jpg' }, count: 8, tookMs: 7.7, totalImages: 500 }} />);
    expect(screen.getByRole('status')).toHaveTextContent("Found 8 images similar to 'trips/beach.jpg' in 7.7 ms (of 500 images)");
    rerender(<StatusLine status={{ kind: 'results', query: { kind: 'image', name: 'IMG_1.png' }, count: 12, tookMs: 310.4, totalImages: 500 }} />);
    expect(screen.getByRole('status')).toHaveTextContent("Found 12 results for your image 'IMG_1.png' in 310 ms (of 500 images)");
  });

  it('says when nothing is above the score threshold, and offers to remove it', async () => {
    const onClearThreshold = jest.fn();
    render(
      <StatusLine status={{ kind: 'results', query: { kind: 'text', text: 'cat' }, count: 0, tookMs: 2, totalImages: 500, minScore: 0.35 }} onClearThreshold={onClearThreshold} />,
    );
    expect(screen.getByRole('status')).toHaveTextContent("No results above the score threshold 0.350 for 'cat' (of 500 images).");
    await userEvent.setup().click(screen.getByRole('button', { name: 'Remove the threshold' }));
    expect(onClearThreshold).toHaveBeenCalled();
  });

  it('calls to index a folder when nothing is indexed', async () => {
    const onIndexFolder = jest.fn();
    render(<StatusLine status={{ kind: 'no-index' }} onIndexFolder={onIndexFolder} />);
    expect(screen.getByRole('status')).toHaveTextContent('Nothing is indexed yet.');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Index a folder' }));
    expect(onIndexFolder).toHaveBeenCalled();
  });

  it('shows an unreachable API as an alert with a retry, and API errors with their message', async () => {
    const onRetry = jest.fn();
    const { rerender } = render(<StatusLine status={{ kind: 'unreachable', message: 'Failed to fetch' }} onRetry={onRetry} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Cannot reach the search server.');
    expect(screen.getByRole('alert')).toHaveTextContent('(Failed to fetch)');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalled();
    rerender(<StatusLine status={{ kind: 'api-error', message: 'k must be a whole number from 1 to 1000 (got 0)' }} />);
    expect(screen.getByRole('alert')).toHaveTextContent('The search failed: k must be a whole number from 1 to 1000 (got 0)');
  });
});
