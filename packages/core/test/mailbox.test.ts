import { CHUNK, Mailbox, POOL_IDLE_MS } from '@tsactor/core/internal';

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

describe('Mailbox beyond its largest ring', () => {
  it('keeps FIFO order, sizes and kinds through a backlog of several arrays, pushes and shifts interleaved', () => {
    const m = new Mailbox<{ n: number }, 0 | 1 | 2>(4);
    let pushed = 0;
    let shifted = 0;
    let wrong = 0;
    const kindOf = (n: number): 0 | 1 | 2 => (n % 3) as 0 | 1 | 2;
    // every entry must come back as pushed, in order: method, argument, reply and kind
    const record = (method: string, args: unknown[], reply: { n: number } | null, kind: 0 | 1 | 2): void => {
      const n = shifted++;
      const ok = method === `m${n}` && args[0] === n && kind === kindOf(n) && (kind === 1 ? reply?.n === n : reply === null);
      if (!ok) wrong++;
    };
    const push = (): void => {
      const n = pushed++;
      m.push(`m${n}`, [n], kindOf(n) === 1 ? { n } : null, kindOf(n));
    };
    // bursts that build up a backlog of several arrays behind the ring (CHUNK entries), drained in part, then in full
    const unit = CHUNK >> 5;
    for (let round = 0; round < 30; round++) {
      const burst = ((round * 7) % 41) * unit;
      for (let i = 0; i < burst; i++) push();
      for (let i = 0; i < ((round * 5) % 23) * unit; i++) {
        m.shift(record);
        if (i % 3 === 0) push(); // a push behind a backlog goes after it
      }
      expect(m.size).toBe(pushed - shifted);
      expect(m.ringCapacity).toBeLessThanOrEqual(CHUNK);
    }
    m.drainAll(record);
    expect(wrong).toBe(0);
    expect(shifted).toBe(pushed);
    expect(m.size).toBe(0);
    expect(m.shift(record)).toBe(false);
  });

  it('fills exact multiples of its arrays and starts again from empty', () => {
    const m = new Mailbox<null>(4);
    for (const n of [CHUNK, 2 * CHUNK, 3 * CHUNK, CHUNK + 1, 1, 4 * CHUNK - 1]) {
      for (let i = 0; i < n; i++) m.push('m', [i], null, 0);
      expect(m.size).toBe(n);
      let next = 0;
      let wrong = 0;
      m.drainAll((_m, a) => {
        if (a[0] !== next++) wrong++;
      });
      expect([next, wrong]).toEqual([n, 0]);
      expect(m.size).toBe(0);
    }
  });

  it('holds a backlog of a million messages in a ring of CHUNK entries and arrays as large', () => {
    const m = new Mailbox<null>(4);
    const n = 1_000_000;
    for (let i = 0; i < n; i++) m.push('m', [i], null, 0);
    expect(m.size).toBe(n);
    expect(m.ringCapacity).toBe(CHUNK);
    let expected = 0;
    let inOrder = true;
    m.drainAll((_m, a) => {
      if (a[0] !== expected++) inOrder = false;
    });
    expect(inOrder).toBe(true);
    expect(expected).toBe(n);
    expect(m.ringCapacity).toBe(CHUNK);
  });

  describe('the pool of free arrays', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const burst = (m: { push: Mailbox<null>['push']; drainAll: Mailbox<null>['drainAll'] }, n: number): void => {
      for (let i = 0; i < n; i++) m.push('m', [i], null, 0);
      m.drainAll(() => undefined);
    };

    it('keeps the arrays of a handled burst for the next one, and lets them go once a whole interval passes with none taken', () => {
      // a module of its own: a pool no other test has filled
      let fresh!: typeof import('@tsactor/core/internal');
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        fresh = require('@tsactor/core/internal') as typeof fresh;
      });
      const pooledArrays = fresh.pooledArrays;
      expect(pooledArrays()).toBe(0);
      burst(new fresh.Mailbox<null>(4), 12.5 * CHUNK);
      // the backlog beyond the ring took 12 arrays; the ring went to the pool when the first became the ring, and so on
      expect(pooledArrays()).toBe(12);
      // a burst as large into another mailbox takes them back, and returns them
      burst(new fresh.Mailbox<null>(4), 12.5 * CHUNK);
      expect(pooledArrays()).toBe(12);
      jest.advanceTimersByTime(POOL_IDLE_MS);
      // arrays were taken in that interval: kept
      expect(pooledArrays()).toBe(12);
      jest.advanceTimersByTime(POOL_IDLE_MS);
      expect(pooledArrays()).toBe(0);
    });

    it('lets go of what a large burst left while small bursts keep taking an array or two', () => {
      let fresh!: typeof import('@tsactor/core/internal');
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        fresh = require('@tsactor/core/internal') as typeof fresh;
      });
      const pooledArrays = fresh.pooledArrays;
      const m = new fresh.Mailbox<null>(4);
      burst(m, 20.5 * CHUNK);
      expect(pooledArrays()).toBe(20);
      // every interval a burst that needs two arrays beyond the ring: the other 18 are never needed
      for (let i = 0; i < 3; i++) {
        burst(m, 2.5 * CHUNK);
        jest.advanceTimersByTime(POOL_IDLE_MS);
      }
      expect(pooledArrays()).toBe(2);
      burst(m, 2.5 * CHUNK);
      expect(pooledArrays()).toBe(2);
    });
  });
});
