import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApi, renderApp, resultAnswer, searchByK, statsAnswer } from './mockApi';

/** Score badges and the threshold's suggestion follow the server model's score scale (stats.scoreScale). */
async function badgeClasses(scoreScale: { minScore: number; good: number; strong: number }): Promise<string[]> {
  const user = userEvent.setup();
  renderApp(mockApi({ Stats: () => statsAnswer(8091, { scoreScale }), Search: searchByK }));
  expect(await screen.findByText(/Search 8,091 indexed images/)).toBeInTheDocument();
  expect(screen.getByLabelText('Minimum score')).toHaveAttribute('placeholder', `none (try ${scoreScale.minScore})`);
  await user.type(screen.getByRole('searchbox'), 'a dog{Enter}');
  const gallery = await screen.findByRole('list', { name: 'Results' });
  return within(gallery)
    .getAllByRole('listitem')
    .map((tile) => tile.querySelector('.score')!.className);
}

afterEach(() => window.history.replaceState(null, '', '/'));

describe('score badges on the model scale', () => {
  it('CLIP scale: 0.31 strong, 0.30 to 0.25 good, lower weak', async () => {
    // makeHit scores: 0.31 - i * 0.0101 for the 12 hits.
    const classes = await badgeClasses({ minScore: 0.2, good: 0.25, strong: 0.3 });
    expect(classes.slice(0, 7)).toEqual(['score score-strong', ...new Array<string>(5).fill('score score-good'), 'score score-weak']);
  });

  it('SigLIP scale: the same scores are all strong', async () => {
    const classes = await badgeClasses({ minScore: 0.05, good: 0.08, strong: 0.11 });
    expect(new Set(classes)).toEqual(new Set(['score score-strong']));
  });
});

describe("the model's default threshold", () => {
  it('shows the threshold the server applied by itself, and removing it asks for every result (minScore -1)', async () => {
    const user = userEvent.setup();
    const api = mockApi({
      Stats: () => statsAnswer(8091),
      Search: (variables) => {
        const answer = resultAnswer(variables.minScore === -1 ? 3 : 0) as { data: { result: Record<string, unknown> } };
        answer.data.result.minScore = variables.minScore === -1 ? -1 : 0.2;
        return answer;
      },
    });
    renderApp(api);
    expect(await screen.findByText(/Search 8,091 indexed images/)).toBeInTheDocument();
    await user.type(screen.getByRole('searchbox'), 'a dog{Enter}');
    expect(await screen.findByText(/No results above the score threshold 0\.20/)).toBeInTheDocument();
    expect(screen.getByLabelText('Minimum score')).toHaveAttribute('placeholder', 'model default 0.2');
    expect(api.calls('Search')[0]).toMatchObject({ minScore: null });
    await user.click(screen.getByRole('button', { name: 'Remove the threshold' }));
    expect(await screen.findByRole('list', { name: 'Results' })).toBeInTheDocument();
    expect(api.calls('Search').at(-1)).toMatchObject({ minScore: -1 });
  });
});
