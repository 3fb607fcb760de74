/**
 * Resolution of actor classes named by string ('module/Class', for remote spawn) or sent
 * by value (ClassRef), with the safety rules of remote spawn: modules only from inside
 * the host's module root, no absolute paths, no '..', and only `@Actor` classes.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { ActorError, NotFoundError } from '../errors';
import { getActorClassByName, isActorClass, getActorDefinition } from '../actor/metadata';
import { ClassRef } from '../wire/codec';
import { reportError } from '../channel';
import type { HostOptions } from './types';

export interface ResolvedClass {
  readonly klass: Function;
  /** the file that exports it, when known */
  readonly source: string | undefined;
}

/** The files remote spawn may load: code files, or a folder's index. */
const EXTENSIONS = ['.ts', '.js', '.cjs', '.mjs', '.mts', '.cts', '.tsx'];

/** Parses 'module/Class' (module may contain '/'); checks the path rules without touching the disk. */
export function parseClassSpec(spec: string): { module: string; exportName: string } {
  const i = spec.lastIndexOf('/');
  if (i <= 0 || i === spec.length - 1) {
    throw new ActorError(`'${spec}' is not a class spec; expected 'module/Class', e.g. 's3_client/Server'`, {
      code: 'BAD_CLASS_SPEC',
    });
  }
  const module = spec.slice(0, i).replace(/\.(py)$/, '');
  const exportName = spec.slice(i + 1);
  if (path.isAbsolute(module) || /^[a-zA-Z]:/.test(module) || module.startsWith('\\')) {
    throw new ActorError(`'${spec}': absolute module paths are refused; name the module relative to the host's module root`, {
      code: 'SPAWN_REFUSED',
    });
  }
  if (module.split(/[\\/]/).some((part) => part === '..')) {
    throw new ActorError(`'${spec}': '..' is refused in module paths; the module must be inside the host's module root`, {
      code: 'SPAWN_REFUSED',
    });
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    throw new ActorError(`'${spec}': '${exportName}' is not a class name`, { code: 'BAD_CLASS_SPEC' });
  }
  return { module, exportName };
}

function isCodeFile(file: string): boolean {
  return EXTENSIONS.includes(path.extname(file));
}

/**
 * The code file of `module` under `root`: the path itself when it names a code file, else
 * the path with a code extension, else a folder's index. Nothing else (a '.env', a '.json',
 * a file without extension) is ever a candidate.
 */
function findModuleFile(root: string, module: string): string | undefined {
  const base = path.resolve(root, module);
  const candidates = [
    ...(isCodeFile(base) ? [base] : []),
    ...EXTENSIONS.map((e) => base + e),
    ...EXTENSIONS.map((e) => path.join(base, 'index' + e)),
  ];
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Loads the class named by 'module/Class' under `moduleRoot`. Throws ActorError
 * (SPAWN_REFUSED) for paths outside the root and for classes without `@Actor`, and
 * NotFoundError when the module or the export is missing.
 */
export function resolveClassSpec(spec: string, moduleRoot: string): ResolvedClass {
  const { module, exportName } = parseClassSpec(spec);
  const root = fs.realpathSync(path.resolve(moduleRoot));
  const file = findModuleFile(root, module);
  if (file === undefined) {
    throw new NotFoundError(
      `module '${module}' not found under the host's module root (tried ${EXTENSIONS.join(' ')} files and a folder's index)`,
    );
  }
  const real = fs.realpathSync(file);
  if (!inside(root, real) || !isCodeFile(real)) {
    throw new ActorError(`'${spec}' resolves outside the host's module root or to a file that is not code`, { code: 'SPAWN_REFUSED' });
  }
  const exports = loadModule(real, module);
  const klass = Object.prototype.hasOwnProperty.call(exports, exportName) ? exports[exportName] : undefined;
  if (typeof klass !== 'function') {
    throw new NotFoundError(`module '${module}' has no export '${exportName}'; export the class: export class ${exportName} { ... }`);
  }
  if (!isActorClass(klass)) {
    throw new ActorError(`${exportName} in '${module}' is not marked @Actor; only @Actor classes can be spawned by name`, {
      code: 'SPAWN_REFUSED',
    });
  }
  return { klass, source: real };
}

/**
 * Requires a checked module file. A failure is reported here in full (it may quote the
 * file's text) and becomes an error that names only the module and the error's class, so
 * that nothing of the file reaches the peer that asked.
 */
function loadModule(file: string, module: string): Record<string, unknown> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- remote spawn loads a checked module by path at run time
    return require(file) as Record<string, unknown>;
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    reportError(error, { actor: file, method: 'spawn', kind: 'internal' });
    throw new ActorError(`module '${module}' could not be loaded (${error.name}); the host's error log has the details`, {
      code: 'SPAWN_FAILED',
    });
  }
}

/** Finds the class of a ClassRef on this side: registered by name, or loaded from its source inside the module root. */
export function resolveClassRef(ref: ClassRef, moduleRoot: string): ResolvedClass {
  const known = getActorClassByName(ref.name);
  if (known !== undefined) return { klass: known, source: getActorDefinition(known).source };
  if (ref.source !== undefined) {
    const root = fs.realpathSync(path.resolve(moduleRoot));
    let real: string | undefined;
    try {
      real = fs.realpathSync(ref.source);
    } catch {
      real = undefined;
    }
    if (real !== undefined && inside(root, real) && isCodeFile(real)) {
      loadModule(real, ref.name);
      const loaded = getActorClassByName(ref.name);
      if (loaded !== undefined) return { klass: loaded, source: real };
    }
  }
  throw new NotFoundError(
    `actor class ${ref.name} is not loaded on this host; spawn it by 'module/${ref.name}' relative to the host's module root`,
  );
}

/** Resolves what `spawn` was given: a class, a 'module/Class' string or a ClassRef. */
export function resolveSpawnClass(klass: unknown, moduleRoot: string): ResolvedClass {
  if (typeof klass === 'function') {
    return { klass, source: isActorClass(klass) ? getActorDefinition(klass).source : undefined };
  }
  if (typeof klass === 'string') return resolveClassSpec(klass, moduleRoot);
  if (klass instanceof ClassRef) return resolveClassRef(klass, moduleRoot);
  throw new TypeError(`spawn: expected an actor class or 'module/Class', got ${String(klass)}`);
}

/** What `remoteSpawn` allows, with `true` read as 'load' (PyActor's behaviour). */
export type RemoteSpawnPolicy = false | 'registered' | 'load';

/** The remote-spawn policy of a host's options (default 'registered'). */
export function remoteSpawnPolicy(options: Readonly<HostOptions>): RemoteSpawnPolicy {
  const v = options.remoteSpawn;
  if (v === undefined) return 'registered';
  if (v === true) return 'load';
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- options may come from JavaScript: other values are refused below
  if (v === false || v === 'registered' || v === 'load') return v;
  throw new TypeError(`remoteSpawn must be false, 'registered' or 'load', got ${JSON.stringify(v)}`);
}

/**
 * Resolves the class of a spawn that a peer asked for, under the host's `remoteSpawn`
 * policy: `false` refuses; 'registered' (the default) accepts only an `@Actor` class this
 * process has already loaded, named by class name or 'module/Class', and loads nothing;
 * 'load' loads 'module/Class' from inside `moduleRoot` (code files or a folder's index,
 * checked before anything is loaded). A class sent by value is looked up the same way.
 */
export function resolveRemoteSpawnClass(klass: unknown, options: Readonly<HostOptions>, where: string): ResolvedClass {
  const policy = remoteSpawnPolicy(options);
  if (policy === false) {
    throw new ActorError(`host ${where} refuses remote spawn (it was created with remoteSpawn: false)`, { code: 'SPAWN_REFUSED' });
  }
  if (policy === 'load') return resolveSpawnClass(klass, options.moduleRoot ?? process.cwd());
  let name: string;
  if (klass instanceof ClassRef) name = klass.name;
  else if (typeof klass === 'string') name = klass.includes('/') ? parseClassSpec(klass).exportName : klass;
  else throw new TypeError(`spawn: expected an actor class or 'module/Class', got ${typeof klass}`);
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new ActorError(`spawn: '${name}' is not a class name`, { code: 'BAD_CLASS_SPEC' });
  }
  const known = getActorClassByName(name);
  if (known === undefined) {
    throw new ActorError(
      `host ${where} has no @Actor class ${name} loaded; remote spawn takes only classes the host process has loaded (remoteSpawn: 'registered'): import the class's module in the host process, or create the host with remoteSpawn: 'load' to let peers load modules under its moduleRoot`,
      { code: 'SPAWN_REFUSED' },
    );
  }
  return { klass: known, source: getActorDefinition(known).source };
}
