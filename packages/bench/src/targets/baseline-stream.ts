/**
 * Shared by the grpc-js and amqplib baselines: messages are (op, a, b) triples of numbers,
 * packed as float64 into one buffer per batch. A Batcher collects what is sent in one
 * synchronous run and flushes it at the end of the microtask queue (or every MAX messages).
 */
export const OP = {
  INC: 1, // a: counter
  TAKE: 2, // a: id, b: counter -> REPLY(id, count)
  ECHO: 3, // a: id, b: x -> REPLY(id, x)
  PING: 4, // a: left -> PONG(left)
  PONG: 5,
  TAKEPONG: 6, // a: id -> REPLY(id, pongs)
  TOK: 7, // a: node, b: hops
  SEEN: 8, // a: id -> REPLY(id, seen) (and resets)
  RING: 9, // a: id, b: ring size -> REPLY(id, 0)
  RINGDONE: 10,
  REPLY: 11, // a: id, b: value
} as const;

const MAX = 4096;

export function encode(msgs: number[]): Buffer {
  const buf = Buffer.allocUnsafe(msgs.length * 8);
  for (let i = 0; i < msgs.length; i++) buf.writeDoubleLE(msgs[i]!, i * 8);
  return buf;
}

export function decode(buf: Buffer, each: (op: number, a: number, b: number) => void): void {
  for (let i = 0; i + 24 <= buf.length; i += 24) each(buf.readDoubleLE(i), buf.readDoubleLE(i + 8), buf.readDoubleLE(i + 16));
}

export class Batcher {
  private msgs: number[] = [];
  private scheduled = false;
  /** `perBatch` 1: every message is written on its own, at once */
  constructor(
    private readonly write: (batch: Buffer) => void,
    private readonly perBatch = MAX,
  ) {}
  send(op: number, a = 0, b = 0): void {
    this.msgs.push(op, a, b);
    if (this.msgs.length >= this.perBatch * 3) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.msgs.length === 0) return;
    const m = this.msgs;
    this.msgs = [];
    this.write(encode(m));
  };
}

/**
 * The server side of both baselines: counters, echo, pong, and the odd nodes of a ring.
 * `out` sends back to the client.
 */
export class BaselineServer {
  private readonly counters = new Float64Array(64);
  private pongs = 0;
  private ringSize = 0;
  private seen = 0;
  constructor(private readonly out: Batcher) {}
  handle = (op: number, a: number, b: number): void => {
    switch (op) {
      case OP.INC:
        this.counters[a]!++;
        break;
      case OP.TAKE:
        this.out.send(OP.REPLY, a, this.counters[b]);
        this.counters[b] = 0;
        break;
      case OP.ECHO:
        this.out.send(OP.REPLY, a, b);
        break;
      case OP.PING:
        this.pongs++;
        this.out.send(OP.PONG, a);
        break;
      case OP.TAKEPONG:
        this.out.send(OP.REPLY, a, this.pongs);
        this.pongs = 0;
        break;
      case OP.RING:
        this.ringSize = b;
        this.out.send(OP.REPLY, a, 0);
        break;
      case OP.TOK:
        this.seen++;
        if (b === 0) this.out.send(OP.RINGDONE);
        else this.out.send(OP.TOK, (a + 1) % this.ringSize, b - 1);
        break;
      case OP.SEEN:
        this.out.send(OP.REPLY, a, this.seen);
        this.seen = 0;
        break;
    }
  };
}
