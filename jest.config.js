// Two projects: `unit` (pure logic, in-memory fakes; seconds) and `integration` (real nats-server,
// cgroups, Docker, SQLite files, Chromium). `npm test` runs both; each integration file starts what it needs.
const base = {
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(cookie)/)'],
  // The SDK's entries (package.json "exports", tsconfig "paths").
  moduleNameMapper: {
    '^agora/sdk$': '<rootDir>/sdk/public.ts',
    '^agora/sdk/service$': '<rootDir>/sdk/apps.ts',
    '^agora/sdk/cron$': '<rootDir>/sdk/jobs.ts',
    '^agora/sdk/operator$': '<rootDir>/sdk/operator.ts',
    '^agora/sdk/internal$': '<rootDir>/sdk/index.ts',
  },
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.it\\.test\\.ts$'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.it.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
  ],
  maxWorkers: 2,
  // Generous: a test's timeout only bounds how long a hang takes to fail; speed is measured in bench/.
  testTimeout: 180000,
};
