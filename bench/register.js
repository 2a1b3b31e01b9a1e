'use strict';
// A tiny TypeScript loader for the benchmarks: `node -r ./bench/register.js bench/engine.bench.ts`.
// It compiles each .ts file with @swc/core (already a devDependency of the root package) to
// CommonJS, with the same options as jest.config.js. No type checking: `npm run typecheck` does that.
const fs = require('node:fs');
const Module = require('node:module');
const { transformSync } = require('@swc/core');

/** The swc options of every compile the benchmarks make (also used by runner.ts for child processes). */
const options = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...options, filename });
  module._compile(code, filename);
};

module.exports = { swcOptions: options };
