import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApolloProvider } from '@apollo/client/react';
import { createApolloClient } from '../../src/apollo';
import { IndexPanel } from '../../src/components/IndexPanel';
import type { ReindexJob } from '../../src/graphql';
import { job, mockApi, type MockApi } from './mockApi';

function renderPanel(server: MockApi, onJobFinished = jest.fn(), initialJob: ReindexJob | null = null) {
  const client = createApolloClient('/graphql', server.fetch as unknown as typeof fetch);
  render(
    <ApolloProvider client={client}>
      <IndexPanel allowedRoots={['/home/me/Pictures']} onJobFinished={onJobFinished} pollIntervalMs={20} initialJob={initialJob} />
    </ApolloProvider>,
  );
  return onJobFinished;
}

describe('IndexPanel', () => {
  it('shows the folder the API refused, with its message, on the field', async () => {
    const user = userEvent.setup();
    const server = mockApi({
      Reindex: () => ({ errors: [{ message: '/etc is outside the folders this server may index (/home/me/Pictures).', extensions: { code: 'BAD_USER_INPUT' } }] }),
    });
    renderPanel(server);
    const folder = screen.getByRole('textbox', { name: 'Folder' });
    await user.clear(folder);
    await user.type(folder, '/etc');
    await user.click(screen.getByRole('button', { name: 'Start indexing' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('/etc is outside the folders this server may index (/home/me/Pictures).');
    expect(folder).toHaveAttribute('aria-invalid', 'true');
    expect(folder).toHaveAccessibleDescription(/outside the folders/);
    expect(server.calls('Reindex')).toEqual([{ dir: '/etc' }]);
  });

  it('starts a reindex, shows live progress with counts, images/s and ETA, then the summary with skipped files', async () => {
    const user = userEvent.setup();
    const polls = [
      job({ embedded: 120, skipped: 3 }),
      job({
        state: 'SUCCEEDED',
        phase: 'DONE',
        embedded: 497,
        skipped: 3,
        imagesPerSecond: 17.9,
        etaSeconds: 0,
        elapsedMs: 27_900,
        skippedFiles: [
          { path: 'scans/broken.jpg', reason: 'corrupt', message: 'corrupt or truncated image' },
          { path: 'huge.tif', reason: 'too-many-pixels', message: 'declares 200000000 pixels' },
          { path: 'empty.png', reason: 'empty-file', message: 'the file is empty' },
        ],
      }),
    ];
    let answered = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = mockApi({
      Reindex: () => ({ data: { reindex: job({ state: 'QUEUED', phase: 'SCANNING', seen: 0, toEmbed: 0, embedded: 0, skipped: 0, unchanged: 0, imagesPerSecond: 0, etaSeconds: null }) } }),
      ReindexJob: async () => {
        const next = polls[Math.min(answered, polls.length - 1)]!;
        // Hold the final answer until the running state has been checked.
        if (answered++ >= 1) await gate;
        return { data: { reindexJob: next } };
      },
    });
    const onJobFinished = renderPanel(server);
    const folder = screen.getByRole('textbox', { name: 'Folder' });
    await user.clear(folder);
    await user.type(folder, 'holidays');
    await user.click(screen.getByRole('button', { name: 'Start indexing' }));

    const progress = await screen.findByRole('progressbar', { name: 'Indexing progress' });
    await waitFor(() => expect(screen.getByTestId('job-counts')).toHaveTextContent('120 of 500 embedded · 3 skipped · 40 unchanged · 0 removed'));
    expect(progress).toHaveAttribute('value', '123');
    expect(progress).toHaveAttribute('max', '500');
    expect(screen.getByText(/18\.2 images\/s · about 21 s left/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Indexing…' })).toBeDisabled();

    release();
    const summary = await screen.findByTestId('job-summary');
    expect(summary).toHaveTextContent('Done in 27.9 s, 17.9 images/s: 497 embedded, 40 unchanged, 3 skipped, 0 removed (540 image files in the folder).');
    expect(summary).toHaveTextContent('3 files skipped');
    expect(summary).toHaveTextContent('scans/broken.jpg corrupt: corrupt or truncated image');
    expect(summary).toHaveTextContent('huge.tif too-many-pixels: declares 200000000 pixels');
    expect(progress).toHaveAttribute('value', '500');
    expect(onJobFinished).toHaveBeenCalledTimes(1);
    expect(onJobFinished.mock.calls[0][0]).toMatchObject({ state: 'SUCCEEDED' });
    expect(screen.getByRole('button', { name: 'Start indexing' })).toBeEnabled();
  });

  it('through the embedding queue: shows the live workers and the queue depth, or that no worker is live', async () => {
    const server = mockApi({ ReindexJob: () => ({ data: { reindexJob: job({ liveWorkers: 3, queueDepth: 12 }) } }) });
    renderPanel(server, jest.fn(), job({ liveWorkers: 3, queueDepth: 12 }));
    expect(screen.getByTestId('job-workers')).toHaveTextContent('3 workers · 12 batches queued');
    cleanup();
    renderPanel(mockApi({ ReindexJob: () => ({ data: { reindexJob: job({ liveWorkers: 0, queueDepth: 1 }) } }) }), jest.fn(), job({ liveWorkers: 0, queueDepth: 1 }));
    expect(screen.getByTestId('job-workers')).toHaveTextContent('no live workers: start `sis worker` · 1 batch queued');
    cleanup();
    renderPanel(mockApi({ ReindexJob: () => ({ data: { reindexJob: job() } }) }), jest.fn(), job());
    expect(screen.queryByTestId('job-workers')).toBeNull();
  });

  it('picks up a reindex that was already running when the page loaded, and can stop it', async () => {
    const user = userEvent.setup();
    const server = mockApi({
      ReindexJob: () => ({ data: { reindexJob: job() } }),
      CancelReindex: () => ({ data: { cancelReindex: job({ state: 'CANCELLED', phase: 'DONE' }) } }),
    });
    renderPanel(server, jest.fn(), job());
    expect(screen.getByTestId('job-counts')).toHaveTextContent('120 of 500 embedded');
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    expect(await screen.findByText(/Stopped\./)).toBeInTheDocument();
    expect(server.calls('CancelReindex')).toEqual([{ id: 'job-1' }]);
  });
});
