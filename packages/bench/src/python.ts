/**
 * The Python peer of the indexing benchmark (python/reference_pipeline.py: PIL + onnxruntime +
 * faiss-cpu) and the 8-bit model variants (python/quantize_model.py), run from a virtual environment
 * under <repo>/.cache/pyref made from the machine's pip configuration (its wheel folders). Where Python
 * or the wheels are missing, each step says so and the benchmark goes on without it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot, repoRoot } from './paths';

const VENV_DIR = path.join(repoRoot, '.cache', 'pyref');
const PACKAGES = ['onnxruntime', 'onnx', 'numpy', 'pillow', 'faiss-cpu'];
const IMPORTS = 'import onnxruntime, onnx, numpy, PIL, faiss';

export type PythonEnv = { ok: true; python: string } | { ok: false; note: string };

function venvPython(): string {
  return path.join(VENV_DIR, 'bin', 'python');
}

function canImport(python: string): boolean {
  try {
    execFileSync(python, ['-c', IMPORTS], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * pip's own index is unreachable here; the machine's configuration names local indexes
 * (extra-index-url) and wheel folders (find-links). Use the first local index as the main one, so pip
 * does not retry the unreachable default for every package.
 */
function pipIndexArgs(python: string): string[] {
  try {
    const extra = execFileSync(python, ['-m', 'pip', 'config', 'get', 'global.extra-index-url'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split(/\s+/)
      .filter((url) => url !== '');
    const [first, ...rest] = extra;
    return first ? ['--index-url', first, ...rest.flatMap((url) => ['--extra-index-url', url])] : [];
  } catch {
    return [];
  }
}

/** The venv, made on first use (a minute or two). */
export function pythonEnv(log: (text: string) => void): PythonEnv {
  if (fs.existsSync(venvPython()) && canImport(venvPython())) return { ok: true, python: venvPython() };
  const system = ['python3', 'python'].find((name) => {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!system) return { ok: false, note: 'no python3 on this machine: the Python reference pipeline was skipped' };
  try {
    log(`Making the Python reference environment ${path.relative(repoRoot, VENV_DIR)} (${PACKAGES.join(', ')}) from the machine's wheel folders`);
    execFileSync(system, ['-m', 'venv', VENV_DIR], { stdio: 'ignore' });
    execFileSync(venvPython(), ['-m', 'pip', 'install', '--quiet', ...pipIndexArgs(venvPython()), ...PACKAGES], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (error) {
    return { ok: false, note: `the Python reference environment could not be made (${firstLine(error)}): the Python reference pipeline was skipped` };
  }
  return canImport(venvPython()) ? { ok: true, python: venvPython() } : { ok: false, note: `${PACKAGES.join(', ')} do not import in ${VENV_DIR}: the Python reference pipeline was skipped` };
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  const text = stderr || (error instanceof Error ? error.message : String(error));
  return text.split('\n').filter((line) => line.trim() !== '').pop() ?? 'unknown error';
}

/** Writes the missing *_int8.onnx / *_quantized.onnx of a local model folder; returns a note when it cannot. */
export function quantizeModel(env: PythonEnv, modelDir: string, log: (text: string) => void): string | undefined {
  if (!env.ok) return env.note.replace('the Python reference pipeline was skipped', 'no 8-bit variants could be made');
  const wanted = ['vision_model', 'text_model'].flatMap((tower) => [`${tower}_int8.onnx`, `${tower}_quantized.onnx`]);
  if (wanted.every((file) => fs.existsSync(path.join(modelDir, 'onnx', file)))) return undefined;
  try {
    fs.accessSync(path.join(modelDir, 'onnx'), fs.constants.W_OK);
  } catch {
    return `${modelDir}/onnx is not writable: its 8-bit variants could not be made`;
  }
  log(`Quantising ${modelDir} to int8 and q8 (onnxruntime quantize_dynamic; once, kept beside the fp32 graphs)`);
  try {
    execFileSync(env.python, [path.join(packageRoot, 'python', 'quantize_model.py'), modelDir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 1_800_000 });
    return undefined;
  } catch (error) {
    return `quantising ${modelDir} failed (${firstLine(error)})`;
  }
}

export interface PythonReferenceResult {
  python: string;
  onnxruntime: string;
  pillow: string;
  graph: string;
  images: number;
  batch: number;
  workers: number;
  decodeCpuMsPerImage: number;
  preprocessCpuMsPerImage: number;
  modelAlone: number[];
  endToEnd: { imagesPerSecond: number; wallSeconds: number; vectors: number }[];
}

/** One run of the Python reference pipeline on a graph of the model folder. */
export function runPythonReference(
  env: Extract<PythonEnv, { ok: true }>,
  options: { modelDir: string; graph: string; folder: string; batch: number; runs: number; modelOnlyImages: number; limit?: number },
): Promise<PythonReferenceResult> {
  const args = [
    path.join(packageRoot, 'python', 'reference_pipeline.py'),
    '--model-dir', options.modelDir,
    '--graph', options.graph,
    '--folder', options.folder,
    '--batch', String(options.batch),
    '--runs', String(options.runs),
    '--model-only-images', String(options.modelOnlyImages),
    ...(options.limit ? ['--limit', String(options.limit)] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(env.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as PythonReferenceResult);
      else reject(new Error(`the Python reference pipeline exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}
