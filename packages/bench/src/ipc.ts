/**
 * Parent <-> worker messages. Each measurement that needs its own memory figures (or a model loaded
 * once and reused) runs in a forked Node process; the parent shows its progress and collects its result.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ProgressMessage {
  type: 'progress';
  label: string;
  value: number;
  total: number;
  unit: string;
}

export type WorkerMessage =
  | ProgressMessage
  | { type: 'log'; text: string }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string; stack?: string };

export interface WorkerReporter {
  progress(label: string, value: number, total: number, unit?: string): void;
  log(text: string): void;
}

export interface WorkerHandlers {
  onProgress(message: ProgressMessage): void;
  onLog(text: string): void;
}

const liveWorkers = new Set<ChildProcess>();

/** Stops the workers still running (the parent is being interrupted). */
export function stopWorkers(): void {
  for (const child of liveWorkers) child.kill('SIGTERM');
}

/** Runs `script` in a new Node process, sends it `job`, and resolves with the result it sends back. */
export function runWorker<Job, Result>(script: string, job: Job, handlers: WorkerHandlers): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    liveWorkers.add(child);
    let settled = false;
    let failure: Error | undefined;
    let result: { value: Result } | undefined;
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') handlers.onProgress(message);
      else if (message.type === 'log') handlers.onLog(message.text);
      else if (message.type === 'result') result = { value: message.result as Result };
      else if (message.type === 'error') failure = Object.assign(new Error(message.message), { workerStack: message.stack });
    });
    child.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    child.on('exit', (code, signal) => {
      liveWorkers.delete(child);
      if (settled) return;
      settled = true;
      if (result && code === 0) resolve(result.value);
      else reject(failure ?? new Error(`worker ${script} exited with ${signal ?? `code ${code}`} before sending a result`));
    });
    child.send(job as object);
  });
}

/** The worker side: waits for the job, runs it, sends the result (or the error) and exits. */
export function serveWorker<Job, Result>(main: (job: Job, reporter: WorkerReporter) => Promise<Result>): void {
  const send = (message: WorkerMessage) =>
    new Promise<void>((resolve) => {
      if (!process.send) resolve();
      else process.send(message, undefined, undefined, () => resolve());
    });
  const reporter: WorkerReporter = {
    progress: (label, value, total, unit = '') => void send({ type: 'progress', label, value, total, unit }),
    log: (text) => void send({ type: 'log', text }),
  };
  if (!process.send) {
    process.stderr.write('This script is a worker of pnpm bench / pnpm eval; run those instead.\n');
    process.exit(2);
  }
  process.once('message', (job: Job) => {
    main(job, reporter).then(
      async (result) => {
        await send({ type: 'result', result });
        process.exit(0);
      },
      async (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        await send({ type: 'error', message: err.message, stack: err.stack });
        process.exit(1);
      },
    );
  });
}
