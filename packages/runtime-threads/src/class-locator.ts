/**
 * Actor classes reach a worker thread as a module path and an export name, never as code:
 * the main thread finds the module that exports the class, and the worker requires it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActorError, isActorClass } from '@tsactor/core/internal';

/** Where a worker finds a class: `require(file)[exportName]` ('' for the module itself). */
export interface ClassLocation {
  readonly file: string;
  readonly exportName: string;
}

function keyOf(exports: unknown, klass: Function): string | undefined {
  if (exports === klass) return '';
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return undefined;
  const rec = exports as Record<string, unknown>;
  if (klass.name !== '' && safeGet(rec, klass.name) === klass) return klass.name;
  for (const k of Object.keys(rec)) if (safeGet(rec, k) === klass) return k;
  if (safeGet(rec, 'default') === klass) return 'default';
  return undefined;
}

function safeGet(rec: Record<string, unknown>, key: string): unknown {
  try {
    return rec[key];
  } catch {
    return undefined;
  }
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** The exports of the module at `file`, as this thread loaded it. */
function exportsOf(file: string): unknown {
  const cache = require.cache as Record<string, NodeJS.Module | undefined> | undefined;
  const m = cache?.[file] ?? cache?.[realpath(file)];
  if (m !== undefined) return m.exports;
  try {
    // the file defined the class, so it is loaded already: this returns the loaded module
    // (under jest, require.cache is not the module registry, but require is)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * True when `file` is an ES module for Node: .mjs/.mts, or .js/.ts/.tsx under a package.json
 * with `"type": "module"`. Such a module was loaded by `import` (compiled ESM, tsx): it is not
 * in require.cache, and requiring it here could load a second copy of it.
 */
function isEsModule(file: string): boolean {
  const ext = path.extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext !== '.js' && ext !== '.ts' && ext !== '.tsx') return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown } | null)?.type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/**
 * The module and export name under which `klass` can be loaded in a worker. `source` is the
 * file that defined it (recorded by `@Actor`); otherwise every loaded module is searched.
 * A class of an ES module is located by its name (its exports cannot be read here without
 * loading it again; the worker checks the export when it loads the module). Throws an
 * ActorError that says how to export the class when there is none.
 */
export function locateClass(klass: Function, source: string | undefined): ClassLocation {
  if (source !== undefined) {
    const cache = require.cache as Record<string, NodeJS.Module | undefined> | undefined;
    if (cache?.[source] === undefined && klass.name !== '' && isEsModule(source)) {
      return { file: source, exportName: klass.name };
    }
    const key = keyOf(exportsOf(source), klass);
    if (key !== undefined) return { file: source, exportName: key };
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- require.cache is missing under some loaders and bundlers
  const cache = (require.cache ?? {}) as Record<string, NodeJS.Module | undefined>;
  for (const file of Object.keys(cache)) {
    const m = cache[file];
    if (m === undefined) continue;
    const key = keyOf(m.exports, klass);
    if (key !== undefined) return { file, exportName: key };
  }
  throw notExported(klass, source);
}

function notExported(klass: Function, source: string | undefined): ActorError {
  const name = klass.name || 'the class';
  const where = source !== undefined ? `${source} does not export it` : 'no loaded module exports it';
  const mark = isActorClass(klass) ? '' : ', mark it @Actor';
  return new ActorError(
    `${name} cannot be spawned in the 'threads' context: each worker thread loads an actor class from its module by export name, and ${where}. ` +
      `Export the class from its module (export class ${name} { ... })${mark}, and keep the program's entry behind ` +
      `'if (require.main === module) main();' so that loading the module in a worker starts nothing`,
    { code: 'CLASS_NOT_EXPORTED' },
  );
}

/**
 * Loads a class in a worker. Throws an ActorError that explains what to change when the
 * module cannot be loaded there or does not export the class.
 */
export function loadClass(loc: ClassLocation, className: string): Function {
  let exports: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(loc.file) as unknown;
  } catch (e) {
    throw new ActorError(
      `${className} cannot be loaded in a worker thread: requiring ${loc.file} there failed with ${(e as Error | null | undefined)?.name ?? 'an error'}: ${(e as Error | null | undefined)?.message ?? String(e)}. ` +
        `Each worker imports the module that exports an actor class; keep actor classes in a module that can be imported on its own ` +
        `(not a test file; the program's entry behind 'if (require.main === module) main();') and export them from it (export class ${className} { ... })`,
      { code: 'CLASS_LOAD_FAILED', cause: e },
    );
  }
  let klass = loc.exportName === '' ? exports : (exports as Record<string, unknown> | null)?.[loc.exportName];
  if (typeof klass !== 'function' && loc.exportName === className) {
    // located by name in an ES module: it may be the default export
    const fallback = (exports as Record<string, unknown> | null)?.default;
    if (typeof fallback === 'function' && fallback.name === className) klass = fallback;
  }
  if (typeof klass !== 'function') {
    throw new ActorError(
      `${className} cannot be loaded in a worker thread: ${loc.file} has no export '${loc.exportName}' there; export the class from its module (export class ${className} { ... })`,
      { code: 'CLASS_NOT_EXPORTED' },
    );
  }
  return klass;
}
