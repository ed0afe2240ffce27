// One jest run over every package. Tests import sibling packages from source
// (`@berth/x` -> `x/src`), so `npm test` needs no build; the native addon in
// sys/ is built by `npm install`.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/*/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: {
    '^@berth/([a-z-]+)$': '<rootDir>/$1/src/index.ts',
  },
  testTimeout: 60000,
};
