/** @type {import('jest').Config} */
const swcOptions = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'commonjs' },
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/lib', '<rootDir>/test', '<rootDir>/sample'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', swcOptions] },
  // NestJS 12 and @noble/hashes 2 ship ESM only; Jest needs them transformed to CommonJS.
  transformIgnorePatterns: ['node_modules/(?!(@nestjs|@noble)/)'],
  testTimeout: 60000,
};
