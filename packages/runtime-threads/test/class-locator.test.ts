/**
 * Where a worker finds an actor class: by export, read from the module the main thread
 * loaded (CommonJS), or by class name for an ES module, which the main thread cannot read
 * without loading a second copy of it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActorError } from '@tsactor/core/internal';
import { loadClass, locateClass } from '../src/class-locator';

let dir = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-locator-'));
  fs.mkdirSync(path.join(dir, 'esm'));
  fs.writeFileSync(path.join(dir, 'esm', 'package.json'), '{ "type": "module" }');
  fs.writeFileSync(path.join(dir, 'esm', 'actors.js'), 'throw new Error("the main thread must not load this module");\n');
  fs.writeFileSync(path.join(dir, 'cjs.js'), 'module.exports = { Other: class Other {} };\n');
  fs.writeFileSync(path.join(dir, 'default.js'), 'module.exports = { default: class Counter {} };\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('locateClass', () => {
  test('a class of an ES module is located by its name, without loading the module', () => {
    class Counter {}
    const file = path.join(dir, 'esm', 'actors.js');
    expect(locateClass(Counter, file)).toEqual({ file, exportName: 'Counter' });
  });

  test('a class its CommonJS module does not export is refused with CLASS_NOT_EXPORTED', () => {
    class Counter {}
    let error: unknown;
    try {
      locateClass(Counter, path.join(dir, 'cjs.js'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActorError);
    expect(error).toMatchObject({ code: 'CLASS_NOT_EXPORTED' });
  });
});

describe('loadClass', () => {
  test('a class located by name is found as the default export of the same name', () => {
    const klass = loadClass({ file: path.join(dir, 'default.js'), exportName: 'Counter' }, 'Counter');
    expect(klass.name).toBe('Counter');
  });

  test('a default export of another name is refused with CLASS_NOT_EXPORTED', () => {
    expect(() => loadClass({ file: path.join(dir, 'default.js'), exportName: 'Other' }, 'Other')).toThrow(
      expect.objectContaining({ code: 'CLASS_NOT_EXPORTED' }) as Error,
    );
  });
});
