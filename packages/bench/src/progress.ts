import { Presets, SingleBar } from 'cli-progress';

/**
 * Progress on stderr (stdout carries only the report). On a terminal, a bar per step; elsewhere (CI
 * logs), a line when a step starts and at most one every 15 s while it runs.
 */
export class ProgressDisplay {
  private bar: SingleBar | undefined;
  private label = '';
  private lastLine = 0;

  constructor(
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(label: string, value: number, total: number, unit = ''): void {
    if (!this.enabled) return;
    const payload = { label, unit };
    if (this.stream.isTTY) {
      if (label !== this.label || !this.bar) {
        this.bar?.stop();
        this.bar = new SingleBar(
          { stream: this.stream, format: '{label} [{bar}] {value}/{total} {unit} | {duration_formatted}', hideCursor: true, clearOnComplete: true },
          Presets.shades_classic,
        );
        this.bar.start(Math.max(total, 1), value, payload);
      } else {
        this.bar.setTotal(Math.max(total, 1));
        this.bar.update(value, payload);
      }
    } else {
      const now = Date.now();
      if (label !== this.label || now - this.lastLine >= 15_000) {
        this.stream.write(`  ${label}: ${value}/${total} ${unit}\n`);
        this.lastLine = now;
      }
    }
    this.label = label;
  }

  /** A finished step's one-line outcome (always shown unless progress is off). */
  log(text: string): void {
    if (!this.enabled) return;
    this.stop();
    this.stream.write(`${text}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.label = '';
  }
}
