import { Mailbox } from '@tsactor/core/internal';

describe('Mailbox', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const m = new Mailbox<null>(4);
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round % 7 + 1; i++) m.push('m', [next++], null);
      for (let i = 0; i < round % 5; i++) m.shift((_m, a) => out.push(a[0] as number));
    }
    m.drainAll((_m, a) => out.push(a[0] as number));
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(m.size).toBe(0);
  });
});
