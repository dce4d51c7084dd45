import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApolloProvider } from '@apollo/client/react';
import { createApolloClient } from '../../src/apollo';
import { IndexPanel } from '../../src/components/IndexPanel';
import { job, mockApi, type MockApi } from './mockApi';

const MODELS = [
  { name: '/srv/models/clip-tiny-random', alias: null, family: 'clip', local: true, current: true, flickr30kR1: null, computeVsDefault: null, pickWhen: null },
  { name: '/srv/models/siglip-tiny-random', alias: null, family: null, local: true, current: false, flickr30kR1: null, computeVsDefault: null, pickWhen: null },
  {
    name: 'Xenova/siglip-base-patch16-224', alias: 'siglip-b16-224', family: 'siglip', local: false, current: false, flickr30kR1: 74.7, computeVsDefault: 4,
    pickWhen: 'the best quality per compute',
  },
].map((model) => ({ __typename: 'ModelChoice', ...model }));

function renderPanel(server: MockApi) {
  const client = createApolloClient('/graphql', server.fetch as unknown as typeof fetch);
  render(
    <ApolloProvider client={client}>
      <IndexPanel allowedRoots={['/home/me/Pictures']} pollIntervalMs={20} />
    </ApolloProvider>,
  );
}

describe('the model picker of the indexing panel', () => {
  it('asks nothing until opened; a plain reindex stays reindex(dir)', async () => {
    const user = userEvent.setup();
    const server = mockApi({ Reindex: () => ({ data: { reindex: job({ state: 'SUCCEEDED', phase: 'DONE' }) } }) });
    renderPanel(server);
    await user.click(screen.getByRole('button', { name: 'Start indexing' }));
    await screen.findByTestId('job-summary');
    expect(server.calls('Models')).toEqual([]);
    expect(server.calls('Reindex')).toEqual([{ dir: '/home/me/Pictures' }]);
    expect(screen.queryByTestId('job-model')).not.toBeInTheDocument();
  });

  it('lists the models, and switching starts reindex(dir, model), showing the model being built and then the switch', async () => {
    const user = userEvent.setup();
    const polls = [
      job({ model: MODELS[1]!.name, buildingModel: MODELS[1]!.name, embedded: 30, toEmbed: 500 }),
      job({ model: MODELS[1]!.name, buildingModel: null, state: 'SUCCEEDED', phase: 'DONE' }),
    ];
    let answered = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = mockApi({
      Models: () => ({ data: { models: MODELS } }),
      ReindexWithModel: () => ({ data: { reindex: job({ state: 'QUEUED', phase: 'SCANNING', model: MODELS[1]!.name }) } }),
      ReindexJob: async () => {
        const next = polls[Math.min(answered, polls.length - 1)]!;
        if (answered++ >= 1) await gate;
        return { data: { reindexJob: next } };
      },
    });
    renderPanel(server);
    await user.click(screen.getByText('Switch model'));
    const select = await screen.findByRole('combobox', { name: 'Model' });
    expect(screen.getByRole('option', { name: 'Keep clip-tiny-random (clip)' })).toBeInTheDocument();
    expect(screen.getByRole('option', { name: 'siglip-b16-224 (siglip, Flickr30k R@1 74.7, 4x compute)' })).toBeInTheDocument();
    await user.selectOptions(select, MODELS[2]!.name);
    expect(select).toHaveAccessibleDescription(/search keeps working with the current model.*Pick it when: the best quality per compute/);
    await user.selectOptions(select, MODELS[1]!.name);
    await user.click(screen.getByRole('button', { name: 'Start indexing' }));

    await waitFor(() => expect(screen.getByText(/building the vectors of siglip-tiny-random/)).toBeInTheDocument());
    expect(screen.getByTestId('job-model')).toHaveTextContent('Switching the library to siglip-tiny-random: search keeps using the current model');
    expect(server.calls('ReindexWithModel')).toEqual([{ dir: '/home/me/Pictures', model: '/srv/models/siglip-tiny-random' }]);
    expect(server.calls('Reindex')).toEqual([]);
    release();
    await waitFor(() => expect(screen.getByTestId('job-model')).toHaveTextContent('Switch to siglip-tiny-random: done, the library uses it now.'));
  });

  it('says so when the models cannot be listed', async () => {
    const user = userEvent.setup();
    renderPanel(mockApi({ Models: () => ({ errors: [{ message: 'boom' }] }) }));
    await user.click(screen.getByText('Switch model'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot list the models');
  });
});
