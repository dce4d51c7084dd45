import { ConfigError, loadConfig, precisionLabel, towerPrecision } from '../../src';

const load = (env: NodeJS.ProcessEnv) => loadConfig({ env, cwd: '/nonexistent-cwd' });

describe('dtype settings', () => {
  test('fp32 by default, for both towers', () => {
    const config = load({});
    expect([config.dtype, config.dtypeVision, config.dtypeText]).toEqual(['fp32', '', '']);
    expect(precisionLabel(towerPrecision(config))).toBe('fp32');
  });

  test('SIS_DTYPE sets both towers; SIS_DTYPE_VISION / SIS_DTYPE_TEXT override one', () => {
    expect(towerPrecision(load({ SIS_DTYPE: 'int8' }))).toEqual({ vision: 'int8', text: 'int8' });
    const mixed = load({ SIS_DTYPE: 'q8', SIS_DTYPE_TEXT: 'fp32' });
    expect(towerPrecision(mixed)).toEqual({ vision: 'q8', text: 'fp32' });
    expect(precisionLabel(towerPrecision(mixed))).toBe('vision=q8,text=fp32');
    for (const dtype of ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4']) expect(load({ SIS_DTYPE_VISION: dtype }).dtypeVision).toBe(dtype);
  });

  test('an unknown precision is refused, naming the variable and the choices', () => {
    expect(() => load({ SIS_DTYPE: 'int4' })).toThrow(ConfigError);
    expect(() => load({ SIS_DTYPE: 'int4' })).toThrow(/SIS_DTYPE must be one of fp32, fp16, q8, int8, uint8, q4 \(got "int4"\)/);
    expect(() => load({ SIS_DTYPE_TEXT: 'bf16' })).toThrow(/SIS_DTYPE_TEXT must be empty or one of/);
  });
});
