import fs from 'node:fs';

/**
 * Tells OpenBLAS which kernels this CPU runs, before FAISS (or the similarity addon) loads it. Debian's
 * OpenBLAS 0.3.21 picks its kernels from the CPU model, and on a virtual machine that reports a generic
 * model ("Intel Xeon Processor") it falls back to Prescott's SSE3 kernels although the CPU has AVX-512:
 * sgemm then runs at ~30 GFLOP/s a core instead of ~140 (measured on this project's Sapphire Rapids VMs),
 * and every BLAS call of FAISS (k-means training, IVF assignment, flat searches of 20+ queries) with it.
 *
 * Only the CPU's own flags decide (as the kernel reports them in /proc/cpuinfo), and an OPENBLAS_CORETYPE set
 * by the user wins. Must run before the first import of faiss-node: OpenBLAS reads the variable when loaded.
 */
export function openblasCoreTypeFor(cpuFlags: ReadonlySet<string>): string | undefined {
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((flag) => cpuFlags.has(flag))) return 'SkylakeX';
  if (cpuFlags.has('avx2') && cpuFlags.has('fma')) return 'Haswell';
  return undefined;
}

function cpuFlags(): Set<string> {
  try {
    const line = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m);
    return new Set(line ? line[1]!.trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

if (process.platform === 'linux' && process.arch === 'x64' && !process.env.OPENBLAS_CORETYPE) {
  const coreType = openblasCoreTypeFor(cpuFlags());
  if (coreType) process.env.OPENBLAS_CORETYPE = coreType;
}
