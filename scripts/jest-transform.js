// Jest transform for the workspace's TypeScript: typescript's transpileModule with the
// workspace's compiler options (type checking is done by `tsc` in the test run).
'use strict';
const ts = require('typescript');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const base = ts.parseConfigFileTextToJson('tsconfig.base.json', fs.readFileSync(path.join(__dirname, '..', 'tsconfig.base.json'), 'utf8'))
  .config.compilerOptions;
const { options } = ts.convertCompilerOptionsFromJson(
  { ...base, composite: false, declaration: false, declarationMap: false, sourceMap: false, inlineSourceMap: true, inlineSources: true },
  process.cwd(),
);
const version = fs.readFileSync(__filename, 'utf8') + ts.version;

module.exports = {
  process(source, filename) {
    const out = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
    return { code: out.outputText };
  },
  getCacheKey(source, filename) {
    return crypto.createHash('sha1').update(version).update(filename).update(source).digest('hex');
  },
};
