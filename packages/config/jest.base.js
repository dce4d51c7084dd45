/** Shared jest settings: TypeScript through ts-jest, tests under test/. */
module.exports = {
  testEnvironment: require.resolve('./jest-environment.js'),
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  reporters: ['default', require.resolve('./jest-totals-reporter.js')],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
};
