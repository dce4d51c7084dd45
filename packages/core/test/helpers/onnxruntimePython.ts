import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * onnxruntime for Python on this machine, from the reference environment the benchmark makes
 * (<repo>/.cache/pyref; `pnpm --filter @sis/bench python-env`, which the test command runs), or
 * SIS_REFERENCE_PYTHON. undefined when neither imports onnxruntime and numpy.
 */
export function referencePython(): string | undefined {
  const candidates = [process.env.SIS_REFERENCE_PYTHON, path.resolve(__dirname, '../../../../.cache/pyref/bin/python')];
  return candidates.find((python): python is string => {
    if (!python || !fs.existsSync(python)) return false;
    try {
      execFileSync(python, ['-c', 'import onnxruntime, numpy'], { stdio: 'ignore', timeout: 60_000 });
      return true;
    } catch {
      return false;
    }
  });
}

export interface OnnxRun {
  values: Float32Array | BigInt64Array;
  dims: number[];
}

/** Each run through `graph` in onnxruntime for Python; the rows of `output` (width `dimension`) of every run, in order. */
export function runInOnnxruntimePython(python: string, graph: string, input: string, output: string, runs: OnnxRun[], dimension: number): Float32Array[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-ort-'));
  try {
    const files = runs.map((run, i) => {
      const file = path.join(dir, `run${i}.bin`);
      fs.writeFileSync(file, Buffer.from(run.values.buffer, run.values.byteOffset, run.values.byteLength));
      return { file, dtype: run.values instanceof Float32Array ? 'float32' : 'int64', dims: run.dims };
    });
    const out = path.join(dir, 'out.f32');
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ graph, input, output, runs: files, out }));
    execFileSync(python, [path.join(__dirname, '../fixtures/python/onnxruntime_run.py'), path.join(dir, 'spec.json')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    const bytes = fs.readFileSync(out);
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const rows: Float32Array[] = [];
    for (let offset = 0; offset < all.length; offset += dimension) rows.push(all.slice(offset, offset + dimension));
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether this CPU has VNNI, as the machine that computed the shared 8-bit references did. */
export function cpuHasVnni(): boolean {
  try {
    const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    return /\b(avx512_vnni|avx_vnni)\b/.test(flags);
  } catch {
    return false;
  }
}
