/**
 * Replies (host side): the answers of the asks that served hosts handle, gathered per reply
 * queue of the asking process and published as one batch per queue at the end of the turn.
 */
import type { Channel } from 'amqplib';
import { encodeBatch } from '@tsactor/core/internal';
import type { AmqpNode } from './connection';

/** The answers waiting to be published, and the channel they are published on. */
export class ReplySender {
  private replyPub: Channel | null = null;
  private readonly replies = new Map<string, Uint8Array[]>();
  private repliesScheduled = false;

  constructor(private readonly node: AmqpNode) {}

  /** Publishes on `ch` from now on (a fresh connection is up). */
  use(ch: Channel): void {
    this.replyPub = ch;
  }

  /** The connection is gone: the answers gathered are dropped (the asking side fails its asks on the outage). */
  detach(): void {
    this.replyPub = null;
    this.replies.clear();
  }

  /** The connection closes for good. */
  close(): void {
    this.replyPub = null;
  }

  /** Sends an answer (an encoded RESULT or ERROR envelope) to the reply queue of an asking process. */
  send(replyTo: string, envelope: Uint8Array): void {
    let list = this.replies.get(replyTo);
    if (list === undefined) this.replies.set(replyTo, (list = []));
    list.push(envelope);
    if (!this.repliesScheduled) {
      this.repliesScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Publishes the answers gathered so far. */
  readonly flush = (): void => {
    this.repliesScheduled = false;
    if (this.replies.size === 0) return;
    const node = this.node;
    // answers to asks handled while (re)connecting (the served hosts consume before the node
    // is up): kept, and sent once it is
    if (node.state !== 'up' && node.state !== 'closed' && node.connecting) return;
    const ch = this.replyPub;
    const all = [...this.replies];
    this.replies.clear();
    // without a connection the asking side has already failed these asks
    if (ch === null || node.state !== 'up') return;
    // the messages that carried these asks are acknowledged first: an ask whose caller saw
    // its answer is not delivered again to the next host at the URL after a crash
    for (const l of node.listeners) l.ackNow();
    for (const [queue, parts] of all) {
      try {
        ch.publish('', queue, encodeBatch(parts));
      } catch {
        return;
      }
    }
  };
}
