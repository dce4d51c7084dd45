/**
 * Two projects: component tests in jsdom against mocked GraphQL answers (fast), and end-to-end tests that drive
 * Debian's Chromium (playwright-core) against the real API server serving the built app (apps/web/dist).
 */
const base = require('@sis/config/jest');

const transform = { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] };

module.exports = {
  reporters: base.reporters,
  projects: [
    {
      displayName: 'components',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/test/components'],
      testMatch: ['**/*.test.ts?(x)'],
      setupFilesAfterEnv: ['<rootDir>/test/components/setup.ts'],
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
  ],
};
