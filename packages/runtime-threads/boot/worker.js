// Boots a worker thread of @tsactor/runtime-threads. Plain JavaScript, so that it runs the
// same under node, ts-node and jest (whose transform does not reach worker threads):
//  1. stdout and stderr are written synchronously to the process's file descriptors, so
//     what actors print keeps its order with what the main thread and other workers print;
//  2. a `.ts` loader is registered (unless one is already there, e.g. ts-node through
//     execArgv): typescript's transpileModule with the compiler options of the file's nearest
//     tsconfig.json (module forced to CommonJS), its output cached on disk so that workers
//     after the first load no compiler at all;
//  3. when the runtime itself runs from TypeScript sources (as under jest), `tsactor` and
//     `@tsactor/*` resolve to the same sources in the worker as in the main thread;
//  4. the worker entry (worker-entry.ts or .js) is loaded.
'use strict';
const { workerData } = require('node:worker_threads');
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');

const boot = workerData.tsactorBoot;
const HOOK_VERSION = '1';

// 1. synchronous stdio
const pause = new Int32Array(new SharedArrayBuffer(4));
function syncWriter(fd) {
  return function write(chunk, encoding, callback) {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const buf =
      typeof chunk === 'string' ? Buffer.from(chunk, encoding || 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(fd, buf, off, buf.length - off);
      } catch (e) {
        if (e.code !== 'EAGAIN') throw e;
        Atomics.wait(pause, 0, 0, 1); // a full non-blocking pipe: wait for the reader
      }
    }
    if (typeof callback === 'function') process.nextTick(callback);
    return true;
  };
}
if (boot.syncStdio) {
  process.stdout.write = syncWriter(1);
  process.stderr.write = syncWriter(2);
}

// 2. the TypeScript loader
let ts = null;
const configs = new Map(); // directory -> { file, fingerprint, options? }
let cacheDir = boot.cacheDir;

function loadTypescript(fromDir) {
  if (ts !== null) return ts;
  let resolved;
  try {
    resolved = require.resolve('typescript', { paths: [fromDir, __dirname, process.cwd()] });
  } catch {
    throw new Error(
      `a worker thread of the 'threads' runtime has to load a TypeScript module but cannot find the 'typescript' package; install it, or run compiled JavaScript`,
    );
  }
  ts = require(resolved);
  return ts;
}

function typescriptVersion(fromDir) {
  try {
    return require(require.resolve('typescript/package.json', { paths: [fromDir, __dirname, process.cwd()] })).version;
  } catch {
    return 'none';
  }
}

/** JSON with comments and trailing commas (tsconfig files), leniently. */
function readJsonc(text) {
  try {
    const stripped = text
      .replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str) => (str ? str : ''))
      .replace(/,(\s*[}\]])/g, '$1');
    return JSON.parse(stripped);
  } catch {
    return null;
  }
}

/** The nearest tsconfig.json with compilerOptions (solution-style files are skipped), with a fingerprint of its text and of the files it extends. */
function configFor(dir) {
  let c = configs.get(dir);
  if (c !== undefined) return c;
  c = { file: null, fingerprint: '' };
  for (let d = dir; ; d = path.dirname(d)) {
    const file = path.join(d, 'tsconfig.json');
    let text = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      // none here
    }
    const json = text === null ? null : readJsonc(text);
    if (json !== null && (json.compilerOptions !== undefined || json.extends !== undefined)) {
      let fingerprint = text;
      let ext = json.extends;
      let from = d;
      for (let depth = 0; typeof ext === 'string' && depth < 8; depth++) {
        const target = ext.startsWith('.') ? path.resolve(from, ext.endsWith('.json') ? ext : ext + '.json') : null;
        fingerprint += '\0' + ext;
        if (target === null) break;
        let t;
        try {
          t = fs.readFileSync(target, 'utf8');
        } catch {
          break;
        }
        fingerprint += '\0' + t;
        const j = readJsonc(t);
        ext = j && j.extends;
        from = path.dirname(target);
      }
      c = { file, fingerprint };
      break;
    }
    if (path.dirname(d) === d) break;
  }
  configs.set(dir, c);
  return c;
}

function compilerOptions(tsc, config) {
  let options = {};
  if (config.file !== null) {
    if (config.options === undefined) {
      const host = { ...tsc.sys, onUnRecoverableConfigFileDiagnostic: () => undefined };
      const parsed = tsc.getParsedCommandLineOfConfigFile(config.file, {}, host);
      config.options = parsed ? parsed.options : {};
    }
    options = config.options;
  }
  return {
    ...options,
    target: options.target ?? tsc.ScriptTarget.ES2022,
    module: tsc.ModuleKind.CommonJS,
    esModuleInterop: options.esModuleInterop ?? true,
    declaration: false,
    declarationMap: false,
    composite: false,
    incremental: false,
    noEmit: false,
    emitDeclarationOnly: false,
    sourceMap: false,
    inlineSourceMap: true,
    inlineSources: false,
    outDir: undefined,
    rootDir: undefined,
  };
}

function transpile(source, filename) {
  const dir = path.dirname(filename);
  const config = configFor(dir);
  const key = crypto
    .createHash('sha1')
    .update(HOOK_VERSION)
    .update('\0' + typescriptVersion(dir))
    .update('\0' + filename)
    .update('\0' + config.fingerprint)
    .update('\0' + source)
    .digest('hex');
  const cached = cacheDir ? path.join(cacheDir, key + '.js') : null;
  if (cached !== null) {
    try {
      return fs.readFileSync(cached, 'utf8');
    } catch {
      // not cached yet
    }
  }
  const tsc = loadTypescript(dir);
  const out = tsc.transpileModule(source, { compilerOptions: compilerOptions(tsc, config), fileName: filename }).outputText;
  if (cached !== null) {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.${require('node:worker_threads').threadId}.tmp`;
      fs.writeFileSync(tmp, out);
      fs.renameSync(tmp, cached);
    } catch {
      cacheDir = null; // an unwritable cache: go on without it
    }
  }
  return out;
}

for (const ext of ['.ts', '.tsx', '.cts']) {
  if (require.extensions[ext] !== undefined) continue;
  require.extensions[ext] = function loadTs(module, filename) {
    module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
  };
}

// 3. running from sources: resolve the workspace packages to their sources, as the main thread does
if (boot.packagesDir) {
  const packagesDir = boot.packagesDir;
  const resolveFilename = Module._resolveFilename;
  const mapped = new Map();
  Module._resolveFilename = function resolveWorkspaceSources(request, parent, isMain, options) {
    if (request === 'tsactor' || request.startsWith('@tsactor/')) {
      let target = mapped.get(request);
      if (target === undefined) {
        const name = request === 'tsactor' ? 'tsactor' : request.slice('@tsactor/'.length);
        const dir = path.join(packagesDir, name, 'src');
        target = /^[a-z0-9-]+$/.test(name) && fs.existsSync(dir) ? dir : null;
        mapped.set(request, target);
      }
      if (target !== null) request = target;
    }
    return resolveFilename.call(this, request, parent, isMain, options);
  };
}

// 4. the entry
require(boot.entry);
