/**
 * @tsactor/core/internal's exports are plain values: compiled to CommonJS a re-exported name
 * is a getter, a call per read in every package that imports it. `clock` stays live.
 */
import * as internal from '@tsactor/core/internal';

test('every export is a plain value, except clock, which follows setClock', () => {
  const names = Object.keys(internal);
  expect(names.length).toBeGreaterThan(100);
  const getters = names.filter((n) => Object.getOwnPropertyDescriptor(internal, n)!.get !== undefined);
  expect(getters).toEqual(['clock']);
  expect(Object.getOwnPropertyDescriptor(internal, 'measureEnvelope')!.value).toBe(internal.measureEnvelope);
  const previous = internal.setClock({ ...internal.realClock, now: () => 42 });
  try {
    expect(internal.clock.now()).toBe(42);
  } finally {
    internal.setClock(previous);
  }
  expect(internal.clock).toBe(previous);
});
