/**
 * The table of asks waiting for their answers: whatever order answers come in, and however
 * many asks wait at once (more than its ring holds, or ids that share a slot), each answer
 * finds its own ask, once, and a failed connection gets every waiting ask back.
 */
import { PendingAsks, type Reply } from '@tsactor/core/internal';

function reply(id: number): Reply & { id: number } {
  return { id, resolve: () => undefined, reject: () => undefined };
}

test('asks answered in order, out of order, and never: each answer finds its own ask once', () => {
  const t = new PendingAsks<Reply>();
  const made = new Map<number, Reply>();
  for (let id = 1; id <= 3000; id++) {
    const r = reply(id);
    made.set(id, r);
    t.set(id, r);
    // most asks are answered soon, in order; every seventh waits until the end
    if (id > 10 && (id - 10) % 7 !== 0) {
      expect(t.take(id - 10)).toBe(made.get(id - 10));
      made.delete(id - 10);
    }
  }
  expect(t.size).toBe(made.size);
  // the rest answered newest first: many of them share a slot with an older ask
  for (const id of [...made.keys()].reverse()) {
    expect(t.take(id)).toBe(made.get(id));
    expect(t.take(id)).toBeUndefined();
  }
  expect(t.size).toBe(0);
});

test('ids that share a slot are kept apart, and an unknown id (0 included) finds nothing', () => {
  const t = new PendingAsks<Reply>();
  const ids = [5, 5 + 512, 5 + 1024, 5 + 2 ** 40, 2 ** 52 + 5];
  const rs = ids.map(reply);
  ids.forEach((id, k) => t.set(id, rs[k]!));
  expect(t.take(0)).toBeUndefined();
  expect(t.take(5 + 2048)).toBeUndefined();
  expect(t.take(-5)).toBeUndefined();
  expect(t.take(5 + 1024)).toBe(rs[2]);
  expect(t.take(5)).toBe(rs[0]);
  // the slot is free again: a new ask takes it, the older ones that spilled are still found
  const next = reply(5 + 1536);
  t.set(5 + 1536, next);
  expect(t.take(5 + 512)).toBe(rs[1]);
  expect(t.take(2 ** 52 + 5)).toBe(rs[4]);
  expect(t.take(5 + 2 ** 40)).toBe(rs[3]);
  expect(t.take(5 + 1536)).toBe(next);
  expect(t.size).toBe(0);
});

test('drain gives back every waiting ask, in the ring or spilled, oldest first, and leaves the table empty', () => {
  const t = new PendingAsks<Reply>();
  // ids past the end of the ring and back to its start, some answered, and more than it holds
  const waiting: number[] = [];
  for (let id = 300; id <= 1800; id++) {
    t.set(id, reply(id));
    if (id % 3 === 0) t.take(id);
    else waiting.push(id);
  }
  const drained = t.drain() as Array<Reply & { id: number }>;
  expect(drained.map((r) => r.id)).toEqual(waiting);
  expect(t.size).toBe(0);
  expect(t.take(1)).toBeUndefined();
  expect(t.take(1000)).toBeUndefined();
  expect(t.drain()).toEqual([]);
});
