/**
 * Resolution of actor classes named by string ('module/Class', for remote spawn) or sent
 * by value (ClassRef), with the safety rules of remote spawn: modules only from inside
 * the host's module root, no absolute paths, no '..', and only @Actor classes.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { ActorError, NotFoundError } from '../errors';
import { getActorClassByName, isActorClass, getActorDefinition } from '../actor/metadata';
import { ClassRef } from '../wire/codec';

export interface ResolvedClass {
  readonly klass: Function;
  /** the file that exports it, when known */
  readonly source: string | undefined;
}

const EXTENSIONS = ['.ts', '.js', '.cjs', '.mts', '.mjs', '.tsx'];

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

function findModuleFile(root: string, module: string): string | undefined {
  const base = path.resolve(root, module);
  const candidates = [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => path.join(base, 'index' + e))];
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
 * (SPAWN_REFUSED) for paths outside the root and for classes without @Actor, and
 * NotFoundError when the module or the export is missing.
 */
export function resolveClassSpec(spec: string, moduleRoot: string): ResolvedClass {
  const { module, exportName } = parseClassSpec(spec);
  const root = fs.realpathSync(path.resolve(moduleRoot));
  const file = findModuleFile(root, module);
  if (file === undefined) {
    throw new NotFoundError(`module '${module}' not found under the module root ${root} (tried .ts, .js and index files)`);
  }
  const real = fs.realpathSync(file);
  if (!inside(root, real)) {
    throw new ActorError(`'${spec}' resolves outside the host's module root ${root}`, { code: 'SPAWN_REFUSED' });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(real) as Record<string, unknown>;
  const klass = exports[exportName];
  if (typeof klass !== 'function') {
    throw new NotFoundError(`module '${module}' (${real}) has no export '${exportName}'; export the class: export class ${exportName} { ... }`);
  }
  if (!isActorClass(klass)) {
    throw new ActorError(`${exportName} in '${module}' is not marked @Actor; only @Actor classes can be spawned by name`, {
      code: 'SPAWN_REFUSED',
    });
  }
  return { klass, source: real };
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
    if (real !== undefined && inside(root, real)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(real);
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
