// Three projects: unit (no I/O), integration (real MariaDB + Redis), e2e (real processes from dist/).
const transform = {
  '^.+\\.ts$': ['@swc/jest', {
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false }, target: 'es2023' },
    module: { type: 'commonjs' },
  }],
};
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'], moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' }, modulePathIgnorePatterns: ['<rootDir>/dist/'] };
module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/', '\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$'] },
    { ...common, displayName: 'integration', setupFilesAfterEnv: ['<rootDir>/test/helpers/leftovers.setup.ts'], testMatch: ['<rootDir>/**/*.int.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.spec.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
  ],
};
