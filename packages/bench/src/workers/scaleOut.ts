/** pnpm bench's scale-out section, in its own process (its memory figure is this process's). */
import { serveWorker } from '../ipc';
import { runScaleOut, type ScaleOutJob, type ScaleOutResult } from '../scaleOut/measure';

serveWorker<ScaleOutJob, ScaleOutResult>(runScaleOut);
