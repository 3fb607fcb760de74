/**
 * Throughput of remote tells through RabbitMQ, against plain amqplib on the same broker in
 * the same run.
 *
 *   node scripts/pnpm.js --filter @tsactor/transport-amqp run bench        (after `npx tsc -b`)
 *   BENCH_N=50000 BENCH_ROUNDS=3 ... (defaults)
 *
 * - plain amqplib: one durable queue; a confirm channel publishes persistent messages of
 *   about the size of a tell's envelope as fast as the socket takes them; a consumer on
 *   the same connection acknowledges them (prefetch 200). These are the guarantees the
 *   transport gives (durable, persistent, confirmed, acknowledged). The same without
 *   durability, confirms or acks is printed too, for reference.
 * - tsactor: a Sink actor on an amqp:// host, told `hit(i)` N times from another amqp://
 *   host of the same process (every message goes through the broker); the clock stops when
 *   the actor has handled all N.
 * End to end in both cases: from the first publish to the last message handled.
 */
import * as amqp from 'amqplib';
import type * as Tsactor from '../../tsactor/src/index';

// the built packages (npx tsc -b first): one instance of every module
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tsactor = require('../../tsactor/dist/index.js') as typeof Tsactor;
const { Actor, Ask, Parallel, Tell, createHost, shutdown } = tsactor;

const N = Number(process.env.BENCH_N ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BROKER = process.env.TSACTOR_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

@Actor
class Sink {
  private n = 0;
  private last = -1;
  private outOfOrder = 0;
  private waiting: { n: number; resolve: (v: number) => void } | null = null;
  @Tell hit(i: number): void {
    if (i !== this.last + 1) this.outOfOrder++;
    this.last = i;
    if (++this.n === this.waiting?.n) this.waiting.resolve(this.n);
  }
  @Ask @Parallel done(n: number): Promise<number> {
    if (this.n >= n) return Promise.resolve(this.n);
    return new Promise((resolve) => (this.waiting = { n, resolve }));
  }
  @Ask disorder(): number {
    return this.outOfOrder;
  }
}

interface PlainOptions {
  durable: boolean;
  confirm: boolean;
  ack: boolean;
}

async function plain(opts: PlainOptions, size: number): Promise<number> {
  const conn = await amqp.connect(BROKER, { noDelay: true });
  const pub = opts.confirm ? await conn.createConfirmChannel() : await conn.createChannel();
  const sub = await conn.createChannel();
  const q = `bench.plain.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await sub.assertQueue(q, { durable: opts.durable, autoDelete: false });
  if (opts.ack) await sub.prefetch(200);
  const body = Buffer.alloc(size, 7);
  let got = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  await sub.consume(
    q,
    (m) => {
      if (m === null) return;
      if (opts.ack) sub.ack(m);
      if (++got === N) finish();
    },
    { noAck: !opts.ack },
  );
  const t0 = performance.now();
  let i = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (i < N) {
        i++;
        if (!pub.publish('', q, body, { persistent: opts.durable })) {
          pub.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  await all;
  const dt = (performance.now() - t0) / 1000;
  await sub.deleteQueue(q);
  await conn.close();
  return N / dt;
}

let port = 19500;

/**
 * `batched`: the N tells are sent in one loop, so the transport packs up to 512 in each AMQP
 * message. Otherwise each tell is sent in a turn of its own (await between two), so each
 * travels alone in its own AMQP message, as a trickle of tells would: one broker message
 * per tell, like the plain amqplib loop.
 */
async function viaTsactor(batched: boolean): Promise<{ rate: number; disorder: number }> {
  const serverUrl = `amqp://127.0.0.1:${port++}/`;
  const clientUrl = `amqp://127.0.0.1:${port++}/`;
  const client = await createHost(clientUrl);
  const server = await createHost(serverUrl);
  await server.spawn('sink', Sink);
  const sink = await client.lookupUrl<Sink>(`${serverUrl}sink`, Sink);
  await sink.done(0); // connected both ways
  const t0 = performance.now();
  if (batched) {
    for (let i = 0; i < N; i++) sink.hit(i);
  } else {
    for (let i = 0; i < N; i++) {
      sink.hit(i);
      await Promise.resolve(); // the tell of this turn is published alone
    }
  }
  await sink.withTimeout(600).done(N);
  const dt = (performance.now() - t0) / 1000;
  const disorder = await sink.disorder();
  await shutdown();
  return { rate: N / dt, disorder };
}

function summary(rates: number[]): string {
  const best = Math.max(...rates);
  const worst = Math.min(...rates);
  return `best ${Math.round(best).toLocaleString('en')}/s, spread ${Math.round(worst).toLocaleString('en')}-${Math.round(best).toLocaleString('en')}/s (runs: ${rates.map((r) => Math.round(r)).join(', ')})`;
}

async function main(): Promise<void> {
  // the size of a tell's envelope: hit(12345) to 'sink', as the transport encodes it
  const size = tsactorEnvelopeSize();
  process.stdout.write(
    `remote tells through RabbitMQ at ${BROKER.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@')}: ${N.toLocaleString('en')} messages per run, ${ROUNDS} rounds, message body ${size} bytes for plain amqplib\n`,
  );
  const plainDurable: number[] = [];
  const plainFast: number[] = [];
  const ours: number[] = [];
  const single: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    plainDurable.push(await plain({ durable: true, confirm: true, ack: true }, size));
    const t = await viaTsactor(true);
    const u = await viaTsactor(false);
    if (t.disorder !== 0 || u.disorder !== 0) throw new Error(`tells arrived out of order (${t.disorder}, ${u.disorder})`);
    ours.push(t.rate);
    single.push(u.rate);
    plainFast.push(await plain({ durable: false, confirm: false, ack: false }, size));
    process.stdout.write(
      `round ${r}: plain amqplib (durable, confirmed, acked) ${Math.round(plainDurable[r - 1]!)}/s; tsactor tells ${Math.round(ours[r - 1]!)}/s, one per message ${Math.round(single[r - 1]!)}/s; plain amqplib (transient, no confirms, no acks) ${Math.round(plainFast[r - 1]!)}/s\n`,
    );
  }
  const pct = (xs: number[]): string => xs.map((o, i) => `${Math.round((o / plainDurable[i]!) * 100)}%`).join(', ');
  const bestVsBest = (xs: number[]): string => `${Math.round((Math.max(...xs) / Math.max(...plainDurable)) * 100)}%`;
  process.stdout.write(`\nplain amqplib, durable+confirmed+acked:   ${summary(plainDurable)}\n`);
  process.stdout.write(`tsactor remote tells (sent in a loop):    ${summary(ours)}\n`);
  process.stdout.write(`tsactor remote tells (one per message):   ${summary(single)}\n`);
  process.stdout.write(`plain amqplib, transient, no confirms:    ${summary(plainFast)}\n`);
  process.stdout.write(
    `tsactor / plain (durable), same round: in a loop ${pct(ours)} (best vs best ${bestVsBest(ours)}); one per message ${pct(single)} (best vs best ${bestVsBest(single)}); target: at least 80%\n`,
  );
}

function tsactorEnvelopeSize(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('../../core/dist/internal.js') as typeof import('../../core/src/internal');
  return core.encodeEnvelope({
    kind: core.EnvelopeKind.TELL,
    id: 0,
    target: 'sink',
    method: 'hit',
    args: core.serializeValue([12345]),
    ctorArgs: null,
    value: null,
    sender: 'amqp://127.0.0.1:19501/',
  }).byteLength;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
