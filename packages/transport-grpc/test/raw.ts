/** A hand-driven connection to a grpc:// host: writes frames as given, reads frames back. */
import * as grpc from '@grpc/grpc-js';
import { EnvelopeKind, WIRE_VERSION, decodeFrame, encodeEnvelope, encodeFrame, type Envelope, type Frame } from '@tsactor/core/internal';
import { connectPath } from '../src/service';

const identity = (b: Buffer): Buffer => b;

export class RawPeer {
  readonly frames: Frame[] = [];
  ended = false;
  /** the status the call ended with, when it was an error (e.g. RESOURCE_EXHAUSTED) */
  error: grpc.ServiceError | null = null;
  private waiters: Array<() => void> = [];
  private nextId = 1;
  private constructor(
    private readonly client: grpc.Client,
    private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>,
  ) {
    call.on('data', (b: Buffer) => {
      this.frames.push(decodeFrame(b));
      this.wake();
    });
    call.on('error', (e: grpc.ServiceError) => {
      this.error = e;
      this.ended = true;
      this.wake();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Connects and sends a Hello (unless `hello` is false). */
  static open(authority: string, opts: { token?: string; hello?: boolean } = {}): RawPeer {
    const client = new grpc.Client(authority, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const call = client.makeBidiStreamRequest(connectPath, identity, identity, new grpc.Metadata(), {});
    const peer = new RawPeer(client, call);
    if (opts.hello !== false) peer.write(encodeFrame({ hello: { version: WIRE_VERSION, from: '', to: '', token: opts.token ?? '' } }));
    return peer;
  }

  write(frame: Buffer): void {
    this.call.write(frame);
  }

  /** Sends an ask envelope with the given (possibly broken) bytes and returns its id. */
  ask(target: string, method: string, args: Buffer | null, ctorArgs: Buffer | null = null): number {
    const id = this.nextId++;
    this.write(
      encodeFrame({ batch: [encodeEnvelope({ kind: EnvelopeKind.ASK, id, target, method, args, ctorArgs, value: null, sender: '' })] }),
    );
    return id;
  }

  /** Waits for a frame matching `pred` (at most 5 s). */
  async waitFor<T>(pick: (f: Frame) => T | undefined, what: string): Promise<T> {
    const end = Date.now() + 5000;
    for (;;) {
      for (const f of this.frames) {
        const v = pick(f);
        if (v !== undefined) return v;
      }
      if (this.ended || Date.now() > end) throw new Error(`no ${what} (ended: ${this.ended})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The answer (RESULT or ERROR envelope) to ask `id`. */
  answer(id: number): Promise<Envelope> {
    return this.waitFor(
      (f) => f.batch.find((e) => e.id === id && (e.kind === EnvelopeKind.RESULT || e.kind === EnvelopeKind.ERROR)),
      `answer to ask ${id}`,
    );
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}
