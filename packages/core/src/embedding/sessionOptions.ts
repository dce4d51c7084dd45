/**
 * ONNX Runtime session settings per use. Indexing wants throughput: its vision session runs batch
 * after batch, so idle intra-op workers may spin between the operators of one run (blocking and waking
 * them costs more than the spin). Queries want latency without stealing the CPU: one small run now
 * and then, so workers must not spin after it and take cores from decoding and from the server.
 */
import os from 'node:os';

export type SessionUse = 'throughput' | 'latency';

export interface SessionTuning {
  /** Intra-op threads; 0: ONNX Runtime's default (one per physical core). */
  readonly intraOpThreads: number;
  readonly use: SessionUse;
}

/** onnxruntime-node's InferenceSession.SessionOptions, the part we set. */
export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads: number;
  executionMode: 'sequential';
  graphOptimizationLevel: 'all';
  enableCpuMemArena: boolean;
  enableMemPattern: boolean;
  extra: { session: { intra_op: { allow_spinning: '0' | '1' } } };
}

export function ortSessionOptions(tuning: SessionTuning): OrtSessionOptions {
  return {
    ...(tuning.intraOpThreads > 0 ? { intraOpNumThreads: tuning.intraOpThreads } : {}),
    // One graph at a time, operators in order: parallelism lives inside the operators (intra-op), and an
    // inter-op pool would only add threads competing for the same cores.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: true,
    extra: { session: { intra_op: { allow_spinning: tuning.use === 'throughput' ? '1' : '0' } } },
  };
}

/** Logical cores this process may use (a container's CPU quota or affinity counts). */
export function availableCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}
