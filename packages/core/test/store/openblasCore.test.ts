import { openblasCoreTypeFor } from '../../src/store/openblasCore';

describe('OpenBLAS kernel choice from the CPU flags', () => {
  it('picks AVX-512 kernels only with every AVX-512 extension they use, AVX2 kernels with AVX2 and FMA, else none', () => {
    const avx512 = ['sse3', 'avx', 'avx2', 'fma', 'avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];
    expect(openblasCoreTypeFor(new Set(avx512))).toBe('SkylakeX');
    // Xeon Phi: AVX-512F and CD without BW/DQ/VL.
    expect(openblasCoreTypeFor(new Set(['avx2', 'fma', 'avx512f', 'avx512cd']))).toBe('Haswell');
    expect(openblasCoreTypeFor(new Set(['sse3', 'avx', 'avx2']))).toBeUndefined();
    expect(openblasCoreTypeFor(new Set())).toBeUndefined();
  });
});
