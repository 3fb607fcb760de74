/**
 * The public API of 'tsactor' (SPEC §2): every name is exported with the right kind, the
 * built-in runtimes and transports are registered on import, and the errors keep their names.
 */
import * as tsactor from 'tsactor';
import { getTransport, hasRuntime } from '@tsactor/core/internal';

const functions = [
  'Actor',
  'Tell',
  'Ask',
  'Ref',
  'Parallel',
  'setContext',
  'createHost',
  'getHost',
  'shutdown',
  'serveForever',
  'sleep',
  'interval',
  'later',
  'setRabbitCredentials',
  'registerClass',
  'setErrorHandler',
  'registerRuntime',
  'registerTransport',
] as const;

const errors = [
  'ActorError',
  'AlreadyExistsError',
  'NotFoundError',
  'HostDownError',
  'HostError',
  'TimeoutError',
  'FutureError',
  'IntervalError',
] as const;

describe("the 'tsactor' package", () => {
  it.each(functions)('exports the function %s', (name) => {
    expect(typeof tsactor[name]).toBe('function');
  });

  it.each(['ActorBase', 'Future', 'Interval', 'Timer'] as const)('exports the class %s', (name) => {
    expect(typeof tsactor[name]).toBe('function');
    expect(tsactor[name].name).toBe(name);
  });

  it.each(errors)('exports %s, an ActorError whose name is its class name', (name) => {
    const E = tsactor[name];
    const e = new E('message');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(tsactor.ActorError);
    expect(e.name).toBe(name);
    expect(e.message).toBe('message');
    expect(String(e)).toBe(`${name}: message`);
  });

  it("registers the 'async' and 'threads' runtimes with PyActor's aliases, and the grpc and amqp transports", () => {
    for (const name of ['async', 'green_thread', 'threads', 'thread']) expect(hasRuntime(name)).toBe(true);
    for (const scheme of ['grpc', 'grpcs', 'amqp']) expect(getTransport(scheme)).toBeDefined();
  });

  it('sleep waits the given seconds (floats allowed) and resolves to undefined', async () => {
    let done = false;
    const p = tsactor.sleep(0.01).then((v) => {
      done = true;
      return v;
    });
    expect(done).toBe(false);
    await expect(p).resolves.toBeUndefined();
  });
});
