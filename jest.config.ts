import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.types\\.test\\.ts$'],
  transform: { '^.+\\.tsx?$': '<rootDir>/scripts/jest-transform.js' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@tsactor/core/internal$': '<rootDir>/packages/core/src/internal',
    '^@tsactor/([a-z-]+)$': '<rootDir>/packages/$1/src',
    '^tsactor$': '<rootDir>/packages/tsactor/src',
  },
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
