import { act, fireEvent, render, screen } from '@testing-library/react';
import { ResultCountSlider, SLIDER_COMMIT_DELAY_MS, ScoreThreshold, kSteps, nearestStep } from '../../src/components/ResultControls';

describe('ResultCountSlider', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('steps about logarithmically from 1 to the API maximum, the default 12 a third of the way along', () => {
    expect(kSteps(1000)).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 40, 50, 60, 80, 100, 120, 160, 200, 250, 300, 400, 500, 600, 800, 1000]);
    expect(kSteps(250)).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 40, 50, 60, 80, 100, 120, 160, 200, 250]);
    expect(kSteps(70).at(-1)).toBe(70);
    expect(kSteps(1)).toEqual([1]);
    const steps = kSteps(1000);
    const position = steps.indexOf(12) / (steps.length - 1);
    expect(position).toBeGreaterThan(0.25);
    expect(position).toBeLessThan(0.4);
  });

  it('shows the number of results and places a k that is not a stop at the nearest stop', () => {
    const { rerender } = render(<ResultCountSlider value={12} max={250} onChange={jest.fn()} />);
    const slider = screen.getByRole('slider', { name: /Results/ });
    expect(slider).toHaveAttribute('min', '0');
    expect(slider).toHaveAttribute('max', String(kSteps(250).length - 1));
    expect(slider).toHaveValue(String(kSteps(250).indexOf(12)));
    expect(slider).toHaveAttribute('aria-valuetext', '12 results');
    expect(screen.getByTestId('k-value')).toHaveTextContent('12');
    rerender(<ResultCountSlider value={7} max={250} onChange={jest.fn()} />);
    expect(screen.getByTestId('k-value')).toHaveTextContent('7');
    expect(nearestStep(kSteps(250), 7)).toBe(kSteps(250).indexOf(8));
    expect(slider).toHaveValue(String(kSteps(250).indexOf(8)));
  });

  it('shows each step at once and searches once when the slider rests', () => {
    const onChange = jest.fn();
    render(<ResultCountSlider value={12} max={1000} onChange={onChange} />);
    const slider = screen.getByRole('slider');
    const steps = kSteps(1000);
    for (const k of [20, 40, 60]) fireEvent.change(slider, { target: { value: String(steps.indexOf(k)) } });
    expect(screen.getByTestId('k-value')).toHaveTextContent('60');
    expect(onChange).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(SLIDER_COMMIT_DELAY_MS));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith(60);
  });

  it('follows the value from outside (back/forward)', () => {
    const { rerender } = render(<ResultCountSlider value={12} max={1000} onChange={jest.fn()} />);
    rerender(<ResultCountSlider value={100} max={1000} onChange={jest.fn()} />);
    expect(screen.getByRole('slider')).toHaveValue(String(kSteps(1000).indexOf(100)));
    expect(screen.getByTestId('k-value')).toHaveTextContent('100');
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
