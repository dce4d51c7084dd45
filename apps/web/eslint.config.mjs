import base from '@sis/config/eslint';

export default [
  ...base,
  { ignores: ['dist/**', 'jest.config.cjs', 'src/gql/**'] },
  {
    files: ['test/**/*.tsx'],
    rules: { '@typescript-eslint/explicit-module-boundary-types': 'off' },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', performance: 'readonly', PerformanceObserver: 'readonly', document: 'readonly', window: 'readonly', requestAnimationFrame: 'readonly', setTimeout: 'readonly', URL: 'readonly', fetch: 'readonly' } },
  },
];
