// A progress bar for long offline runs: percent of the file read, packets,
// rate, time elapsed and time left. Only when standard error is a terminal;
// pipes and logs get nothing.
import type cliProgress from 'cli-progress';

// Below this much input the run is over before a bar is worth drawing.
export const PROGRESS_MIN_BYTES = 16 << 20;

export class Progress {
  private readonly bar: cliProgress.SingleBar;
  private readonly started = Date.now();

  private constructor(total: number, lib: typeof cliProgress) {
    this.bar = new lib.SingleBar(
      {
        format: 'nftwasm {bar} {percentage}% | {packets} packets | {rate} packets/s | elapsed {duration_formatted} | left {eta_formatted}',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
      },
      lib.Presets.shades_classic,
    );
    this.bar.start(total, 0, { packets: 0, rate: 0 });
  }

  // The bar's library is loaded only when a bar is drawn: most runs draw none.
  static async forFile(size: number, enabled: boolean): Promise<Progress | null> {
    if (!enabled || !process.stderr.isTTY || size < PROGRESS_MIN_BYTES) return null;
    return new Progress(size, (await import('cli-progress')).default);
  }

  update(bytesRead: number, packets: number): void {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    this.bar.update(bytesRead, { packets, rate: Math.round(packets / seconds) });
  }

  stop(): void {
    this.bar.stop();
  }
}
