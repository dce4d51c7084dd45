import { act, fireEvent, render, screen } from '@testing-library/react';
import { ResultCountSlider, SLIDER_COMMIT_DELAY_MS, ScoreThreshold } from '../../src/components/ResultControls';

describe('ResultCountSlider', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('goes from 1 to the API maximum and shows the number of results', () => {
    render(<ResultCountSlider value={12} max={250} onChange={jest.fn()} />);
    const slider = screen.getByRole('slider', { name: /Results/ });
    expect(slider).toHaveAttribute('min', '1');
    expect(slider).toHaveAttribute('max', '250');
    expect(slider).toHaveValue('12');
    expect(slider).toHaveAttribute('aria-valuetext', '12 results');
    expect(screen.getByTestId('k-value')).toHaveTextContent('12');
  });

  it('shows each step at once and searches once when the slider rests', () => {
    const onChange = jest.fn();
    render(<ResultCountSlider value={12} max={1000} onChange={onChange} />);
    const slider = screen.getByRole('slider');
    for (const value of ['20', '40', '60']) fireEvent.change(slider, { target: { value } });
    expect(screen.getByTestId('k-value')).toHaveTextContent('60');
    expect(onChange).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(SLIDER_COMMIT_DELAY_MS));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith(60);
  });

  it('follows the value from outside (back/forward)', () => {
    const { rerender } = render(<ResultCountSlider value={12} max={1000} onChange={jest.fn()} />);
    rerender(<ResultCountSlider value={7} max={1000} onChange={jest.fn()} />);
    expect(screen.getByRole('slider')).toHaveValue('7');
    expect(screen.getByTestId('k-value')).toHaveTextContent('7');
  });
});

describe('ScoreThreshold', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('takes a score from -1 to 1, or nothing, and flags anything else', () => {
    const onChange = jest.fn();
    render(<ScoreThreshold value={undefined} onChange={onChange} />);
    const input = screen.getByLabelText('Minimum score');
    fireEvent.change(input, { target: { value: '0.25' } });
    act(() => jest.advanceTimersByTime(500));
    expect(onChange).toHaveBeenLastCalledWith(0.25);
    fireEvent.change(input, { target: { value: '3' } });
    act(() => jest.advanceTimersByTime(500));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('A score is a number from -1 to 1.')).toBeInTheDocument();
    fireEvent.change(input, { target: { value: '' } });
    act(() => jest.advanceTimersByTime(500));
    expect(onChange).toHaveBeenLastCalledWith(undefined);
  });
});
