import { Mailbox } from '@tsactor/core/internal';

describe('Mailbox', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const m = new Mailbox<null>(4);
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < (round % 7) + 1; i++) m.push('m', [next++], null, 0);
      for (let i = 0; i < round % 5; i++) m.shift((_m, a) => out.push(a[0] as number));
    }
    m.drainAll((_m, a) => out.push(a[0] as number));
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(m.size).toBe(0);
  });

  it('hands each entry back with its own method, reply and kind, across growth and wrap-around', () => {
    const m = new Mailbox<{ n: number }, 0 | 1 | 2>(4);
    const out: string[] = [];
    const expected: string[] = [];
    let next = 0;
    const record = (method: string, args: unknown[], reply: { n: number } | null, kind: 0 | 1 | 2): void => {
      out.push(`${method}:${String(args[0])}:${reply === null ? '-' : reply.n}:${kind}`);
    };
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < (round % 6) + 1; i++) {
        const n = next++;
        const kind = (n % 3) as 0 | 1 | 2;
        const reply = kind === 1 ? { n } : null;
        m.push(`m${n}`, [n], reply, kind);
        expected.push(`m${n}:${n}:${reply === null ? '-' : n}:${kind}`);
      }
      for (let i = 0; i < round % 4; i++) m.shift(record);
    }
    m.drainAll(record);
    expect(out).toEqual(expected);
    expect(m.shift(record)).toBe(false);
  });
});
