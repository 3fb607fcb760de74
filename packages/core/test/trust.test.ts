import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Actor,
  Tell,
  ActorError,
  NotFoundError,
  HostError,
  resolveRemoteSpawnClass,
  remoteSpawnPolicy,
  isLoopback,
  checkProtectedMode,
  stacksFor,
  setErrorHandler,
  type ErrorHandler,
} from '@tsactor/core/internal';

@Actor
class TrustLoaded {
  @Tell ping(): void {}
}

const marker = '__tsactorTrustMarker';
let root: string;
let previous: ErrorHandler;
const reported: Error[] = [];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsactor-trust-'));
  // a module whose top-level code leaves a trace when it is loaded
  fs.writeFileSync(
    path.join(root, 'side.js'),
    `globalThis.${marker} = (globalThis.${marker} || 0) + 1;\n` +
      `const { Actor, Tell } = require(${JSON.stringify(require.resolve('@tsactor/core/internal'))});\n` +
      `class SideActor { ping() {} }\nTell(SideActor.prototype, 'ping', Object.getOwnPropertyDescriptor(SideActor.prototype, 'ping'));\nActor(SideActor);\nexports.SideActor = SideActor;\n`,
  );
  fs.writeFileSync(path.join(root, 'secret.env'), 'DB_PASSWORD = hunter2\n');
  fs.writeFileSync(path.join(root, 'broken.js'), 'DB_PASSWORD = = "hunter2"\n');
  previous = setErrorHandler((e) => {
    reported.push(e);
  });
});

afterAll(() => {
  setErrorHandler(previous);
  fs.rmSync(root, { recursive: true, force: true });
});

const loads = (): number => ((globalThis as Record<string, unknown>)[marker] as number | undefined) ?? 0;

describe('remoteSpawn policy', () => {
  test("defaults to 'registered'; true means 'load'; bad values are refused", () => {
    expect(remoteSpawnPolicy({})).toBe('registered');
    expect(remoteSpawnPolicy({ remoteSpawn: true })).toBe('load');
    expect(remoteSpawnPolicy({ remoteSpawn: false })).toBe(false);
    expect(() => remoteSpawnPolicy({ remoteSpawn: 'yes' as unknown as 'load' })).toThrow(
      /remoteSpawn must be false, 'registered' or 'load'/,
    );
  });

  test('false refuses every remote spawn', () => {
    expect(() => resolveRemoteSpawnClass('TrustLoaded', { remoteSpawn: false }, 'grpc://h/')).toThrow(
      expect.objectContaining({ code: 'SPAWN_REFUSED', message: expect.stringMatching(/refuses remote spawn/) as unknown }) as Error,
    );
  });

  test("'registered' takes a loaded @Actor class by name or 'module/Class' and loads nothing", () => {
    expect(resolveRemoteSpawnClass('TrustLoaded', {}, 'h').klass).toBe(TrustLoaded);
    expect(resolveRemoteSpawnClass('anything/TrustLoaded', { moduleRoot: root }, 'h').klass).toBe(TrustLoaded);
    const before = loads();
    let error: unknown;
    try {
      resolveRemoteSpawnClass('side/SideActor', { moduleRoot: root }, 'grpc://h/');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActorError);
    expect((error as ActorError).code).toBe('SPAWN_REFUSED');
    expect((error as Error).message).toMatch(/no @Actor class SideActor loaded.*remoteSpawn: 'load'/);
    expect(loads()).toBe(before);
  });

  test("'registered' still refuses paths that leave the module root", () => {
    expect(() => resolveRemoteSpawnClass('../x/TrustLoaded', {}, 'h')).toThrow(expect.objectContaining({ code: 'SPAWN_REFUSED' }) as Error);
    expect(() => resolveRemoteSpawnClass('/etc/TrustLoaded', {}, 'h')).toThrow(expect.objectContaining({ code: 'SPAWN_REFUSED' }) as Error);
  });

  test("'load' loads a code file inside the module root", () => {
    const before = loads();
    const r = resolveRemoteSpawnClass('side/SideActor', { remoteSpawn: 'load', moduleRoot: root }, 'h');
    expect(r.klass.name).toBe('SideActor');
    expect(loads()).toBe(before + 1);
  });

  test("'load' never loads a file that is not code, and says nothing of its path", () => {
    let error: unknown;
    try {
      resolveRemoteSpawnClass('secret.env/X', { remoteSpawn: 'load', moduleRoot: root }, 'h');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).not.toContain(root);
    expect((error as Error).message).not.toContain('hunter2');
  });

  test("'load': a module that fails to load gives an error without the file's text; the host's log has it", () => {
    reported.length = 0;
    let error: unknown;
    try {
      resolveRemoteSpawnClass('broken/X', { remoteSpawn: 'load', moduleRoot: root }, 'h');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActorError);
    expect((error as ActorError).code).toBe('SPAWN_FAILED');
    expect((error as Error).message).toBe("module 'broken' could not be loaded (SyntaxError); the host's error log has the details");
    expect((error as Error).stack ?? '').not.toContain('hunter2');
    expect(reported.map((e) => e.name)).toEqual(['SyntaxError']);
  });
});

describe('protected mode', () => {
  test('loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.5', '::', 'example.com', '128.0.0.1', '[2001:db8::1]']) expect(isLoopback(h)).toBe(false);
  });

  test('a host on a reachable address needs a token, client certificates or insecure: true', () => {
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', {})).toThrow(HostError);
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', {})).toThrow(
      /give the host a shared secret \(\{ token \}\).*insecure: true/,
    );
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', { tls: { cert: 'c', key: 'k' } })).toThrow(HostError);
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', { token: 's' })).not.toThrow();
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', { tls: { cert: 'c', key: 'k', ca: 'a' } })).not.toThrow();
    expect(() => checkProtectedMode('grpc://0.0.0.0:1277/', '0.0.0.0', { insecure: true })).not.toThrow();
    expect(() => checkProtectedMode('grpc://127.0.0.1:1277/', '127.0.0.1', {})).not.toThrow();
  });

  test('stacks go to authenticated and loopback peers, to others only with exposeStacks', () => {
    expect(stacksFor({}, { authenticated: false, loopback: true })).toBe(true);
    expect(stacksFor({}, { authenticated: false, loopback: false })).toBe(false);
    expect(stacksFor({ token: 't' }, { authenticated: true, loopback: false })).toBe(true);
    expect(stacksFor({ token: 't' }, { authenticated: false, loopback: false })).toBe(false);
    expect(stacksFor({ exposeStacks: true }, { authenticated: false, loopback: false })).toBe(true);
  });
});
