/**
 * The browser test on its own: `npx jest -c tests/e2e/jest.config.js`.
 * (The root jest.config.js has projects: a bare `--testMatch` on the command line applies to each
 * of them, so the file would run twice, once under the api project's global setup.)
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.tools.json' }],
    // The app loads the ESM-only feed library (see the root jest.config.js).
    '/node_modules/feed/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!feed/)'],
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/\\.tmp/', '<rootDir>/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/\\.tmp/'],
  testTimeout: 180000,
};
