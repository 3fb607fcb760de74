/** Pieces of the amqp:// transport that need no broker: de-duplication, broker configuration, queue names. */
import { HostError } from '@tsactor/core/internal';
import { Dedup, MAX_AHEAD, MAX_GAP, MAX_SENDERS } from '../src/dedup';
import { MAC_HEADER, macMatches, messageMac } from '../src/mac';
import { amqpLimits, setAmqpLimits } from '../src/limits';
import { brokerConfig, explainBrokerFailure, resetRabbitCredentials, setRabbitCredentials } from '../src/config';
import { baseOfQueue, queueOf } from '../src/names';

describe('Dedup', () => {
  it('drops a message seen before, per sender', () => {
    const d = new Dedup();
    expect(d.seen('a.1', 1)).toBe(false);
    expect(d.seen('a.2', 1)).toBe(false);
    expect(d.seen('b.1', 1)).toBe(false);
    expect(d.seen('a.1', 1)).toBe(true);
    expect(d.seen('a.2', 1)).toBe(true);
    expect(d.seen('b.1', 1)).toBe(true);
    expect(d.seen('a.3', 1)).toBe(false);
    expect(d.duplicates).toBe(3);
  });

  it('keeps messages that arrive after a gap, and the gap itself when it fills, once each', () => {
    const d = new Dedup();
    expect(d.seen('s.1', 1)).toBe(false);
    expect(d.seen('s.3', 1)).toBe(false); // 2 is missing for now
    expect(d.seen('s.4', 1)).toBe(false);
    expect(d.seen('s.3', 1)).toBe(true);
    expect(d.seen('s.2', 1)).toBe(false); // the re-sent one
    expect(d.seen('s.2', 2)).toBe(true);
    expect(d.seen('s.4', 2)).toBe(true);
    expect(d.seen('s.5', 2)).toBe(false);
  });

  it('a re-sent run after a reconnect: the copies are dropped, the rest handled in order', () => {
    const d = new Dedup();
    const handled: number[] = [];
    const deliver = (seq: number, floor: number): void => {
      if (!d.seen(`p.${seq}`, floor)) handled.push(seq);
    };
    for (let i = 1; i <= 10; i++) deliver(i, Math.max(1, i - 3)); // 8, 9, 10 unconfirmed when the connection drops
    for (let i = 8; i <= 15; i++) deliver(i, 8); // sent again from 8 on
    expect(handled).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('a new receiver starts at the sender floor: what is below was handled before it', () => {
    const d = new Dedup();
    expect(d.seen('q.50', 48)).toBe(false);
    expect(d.seen('q.47', 48)).toBe(true);
    expect(d.seen('q.48', 48)).toBe(false); // at or above the floor: still expected
    expect(d.seen('q.49', 48)).toBe(false);
    expect(d.seen('q.51', 51)).toBe(false);
  });

  it('the floor settles a gap that will never fill', () => {
    const d = new Dedup();
    d.seen('g.1', 1);
    d.seen('g.3', 1); // 2 never comes (its message was dropped by the broker)
    d.seen('g.4', 4); // the sender says: nothing below 4 will come again
    expect(d.seen('g.2', 4)).toBe(true);
    expect(d.seen('g.5', 5)).toBe(false);
  });

  it('gives up a gap after MAX_GAP messages past it, rather than growing without bound', () => {
    const d = new Dedup();
    d.seen('m.1', 1);
    for (let i = 3; i <= MAX_GAP + 3; i++) d.seen(`m.${i}`, 1);
    expect(d.seen(`m.${MAX_GAP + 4}`, 1)).toBe(false);
    expect(d.seen('m.5', 1)).toBe(true);
  });

  it('messages without a well-formed id are always delivered', () => {
    const d = new Dedup();
    expect(d.seen(undefined, 0)).toBe(false);
    expect(d.seen(undefined, 0)).toBe(false);
    expect(d.seen('nodot', 0)).toBe(false);
    expect(d.seen('x.notanumber', 0)).toBe(false);
    expect(d.seen('x.notanumber', 0)).toBe(false);
  });
});

describe('Dedup without authenticated senders (a host without a token)', () => {
  it('a forged floor never moves a known sender past messages it has not sent yet', () => {
    const d = new Dedup({ trustFloors: false });
    for (let i = 1; i <= 5; i++) expect(d.seen(`real.${i}`, i)).toBe(false);
    // a forged message for the same sender, far ahead, with a floor that would cover everything
    expect(d.seen('real.1000000', 1000000)).toBe(false);
    // and one within reach, with a floor above the real sender's next messages
    expect(d.seen('real.50', 50)).toBe(false);
    // the real sender goes on: every later message is new except the one the forgery shadowed
    const dropped: number[] = [];
    for (let i = 6; i <= 100; i++) if (d.seen(`real.${i}`, i)) dropped.push(i);
    expect(dropped).toEqual([50]);
  });

  it('records nothing further than MAX_AHEAD past what was seen in order', () => {
    const d = new Dedup({ trustFloors: false });
    d.seen('s.1', 1);
    const before = d.recorded;
    expect(d.seen(`s.${MAX_AHEAD + 10}`, 1)).toBe(false);
    expect(d.recorded).toBe(before);
    expect(d.seen(`s.${MAX_AHEAD + 10}`, 1)).toBe(false); // delivered, not recorded: never a drop
  });

  it('a floor counts for the first message of a sender, and never above its own number', () => {
    const d = new Dedup({ trustFloors: false });
    expect(d.seen('n.50', 48)).toBe(false);
    expect(d.seen('n.47', 48)).toBe(true);
    expect(d.seen('n.48', 48)).toBe(false);
    const e = new Dedup({ trustFloors: false });
    expect(e.seen('m.10', 99)).toBe(false); // a floor above the message's number is ignored
    expect(e.seen('m.9', 1)).toBe(true); // the table starts just below it
  });
});

describe('Dedup: bounds and storage', () => {
  it('keeps at most MAX_SENDERS senders, forgetting the oldest', () => {
    const d = new Dedup();
    for (let i = 0; i < MAX_SENDERS + 500; i++) d.seen(`s${i}.1`, 1);
    expect(d.size).toBe(MAX_SENDERS);
    expect(d.seen(`s${MAX_SENDERS + 499}.1`, 1)).toBe(true); // recent: remembered
    expect(d.seen('s0.1', 1)).toBe(false); // the oldest was forgotten
  });

  it('a stored table read back drops what it recorded and takes the rest', () => {
    const d = new Dedup();
    d.seen('a.1', 1);
    d.seen('a.2', 1);
    d.seen('a.4', 1);
    const copy = new Dedup();
    copy.restore(JSON.parse(JSON.stringify(d.snapshot())));
    expect(copy.seen('a.2', 1)).toBe(true);
    expect(copy.seen('a.4', 1)).toBe(true);
    expect(copy.seen('a.3', 1)).toBe(false);
    expect(copy.seen('a.5', 1)).toBe(false);
  });

  it('a stored table that is not well-formed is read as far as it is', () => {
    const d = new Dedup();
    d.restore([['ok', 3, [5, 'x', -1]], ['bad', 'low', []], 'junk', [{}, 1, []]]);
    expect(d.size).toBe(1);
    expect(d.seen('ok.3', 1)).toBe(true);
    expect(d.seen('ok.5', 1)).toBe(true);
    expect(d.seen('ok.4', 1)).toBe(false);
    d.restore({ not: 'a list' });
    expect(d.size).toBe(0);
  });
});

describe('message MAC', () => {
  const body = Buffer.from('a batch');
  const mac = messageMac('s3cret', 'snd.7', 3, 'amq.gen-1', body);

  it('proves the token for exactly the id, floor, reply queue and body it was made for', () => {
    expect(MAC_HEADER).toBe('x-tsactor-mac');
    expect(mac).not.toContain('s3cret');
    expect(macMatches(mac, 's3cret', 'snd.7', 3, 'amq.gen-1', body)).toBe(true);
    expect(macMatches(mac, 'other', 'snd.7', 3, 'amq.gen-1', body)).toBe(false);
    expect(macMatches(mac, 's3cret', 'snd.8', 3, 'amq.gen-1', body)).toBe(false);
    expect(macMatches(mac, 's3cret', 'snd.7', 999, 'amq.gen-1', body)).toBe(false);
    expect(macMatches(mac, 's3cret', 'snd.7', 3, 'amq.gen-attacker', body)).toBe(false);
    expect(macMatches(mac, 's3cret', 'snd.7', 3, 'amq.gen-1', Buffer.from('a batcH'))).toBe(false);
  });

  it('refuses a missing or mistyped header or id', () => {
    expect(macMatches(undefined, 's3cret', 'snd.7', 3, 'amq.gen-1', body)).toBe(false);
    expect(macMatches(Buffer.from(mac), 's3cret', 'snd.7', 3, 'amq.gen-1', body)).toBe(false);
    expect(macMatches(mac, 's3cret', undefined, 3, 'amq.gen-1', body)).toBe(false);
    expect(macMatches('s3cret', 's3cret', 'snd.7', 3, 'amq.gen-1', body)).toBe(false);
  });
});

describe('limits', () => {
  it('setAmqpLimits changes the send queue bound and refuses a bad one', () => {
    const before = amqpLimits().maxQueuedBytes;
    try {
      setAmqpLimits({ maxQueuedBytes: 1234 });
      expect(amqpLimits().maxQueuedBytes).toBe(1234);
      expect(() => setAmqpLimits({ maxQueuedBytes: 0 })).toThrow(/maxQueuedBytes/);
      expect(() => setAmqpLimits({ maxQueuedBytes: 1.5 })).toThrow(TypeError);
      expect(amqpLimits().maxQueuedBytes).toBe(1234);
    } finally {
      setAmqpLimits({ maxQueuedBytes: before });
    }
  });
});

describe('broker configuration', () => {
  const saved = process.env.TSACTOR_AMQP_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.TSACTOR_AMQP_URL;
    else process.env.TSACTOR_AMQP_URL = saved;
    delete process.env.TSACTOR_AMQP_CONNECT_TIMEOUT;
    resetRabbitCredentials();
  });

  it('defaults to guest:guest at 127.0.0.1:5672', () => {
    delete process.env.TSACTOR_AMQP_URL;
    const c = brokerConfig();
    expect(c.connect).toMatchObject({ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
    expect(c.display).toBe('amqp://guest@127.0.0.1:5672');
  });

  it('reads TSACTOR_AMQP_URL (user, password, port, vhost); setRabbitCredentials overrides the user and password', () => {
    process.env.TSACTOR_AMQP_URL = 'amqp://alice:p%40ss@broker.example:5673/prod';
    let c = brokerConfig();
    expect(c.connect).toMatchObject({ hostname: 'broker.example', port: 5673, username: 'alice', password: 'p@ss', vhost: 'prod' });
    expect(c.display).toBe('amqp://alice@broker.example:5673/prod');
    setRabbitCredentials('daniel', 'pass');
    c = brokerConfig();
    expect(c.connect).toMatchObject({ username: 'daniel', password: 'pass', hostname: 'broker.example' });
    expect(c.display).not.toContain('pass');
  });

  it('refuses a TSACTOR_AMQP_URL that is not an amqp URL, without showing its password', () => {
    process.env.TSACTOR_AMQP_URL = 'http://bob:hunter22@x:1';
    expect(() => brokerConfig()).toThrow(HostError);
    expect(() => brokerConfig()).toThrow(/amqp:\/\//);
    try {
      brokerConfig();
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter22');
    }
    process.env.TSACTOR_AMQP_URL = 'not a url';
    expect(() => brokerConfig()).toThrow(/not a URL/);
    delete process.env.TSACTOR_AMQP_URL;
    process.env.TSACTOR_AMQP_CONNECT_TIMEOUT = '-1';
    expect(() => brokerConfig()).toThrow(/TSACTOR_AMQP_CONNECT_TIMEOUT/);
  });

  it('explains failures: refused credentials, unknown vhost, unreachable', () => {
    const c = brokerConfig();
    const auth = explainBrokerFailure(
      c,
      new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"'),
    );
    expect(auth.code).toBe('BROKER_AUTH');
    expect(auth.message).toContain("user 'guest'");
    const vhost = explainBrokerFailure(c, new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'));
    expect(vhost.message).toContain("virtual host '/'");
    const down = explainBrokerFailure(c, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' }));
    expect(down.code).toBe('BROKER_UNREACHABLE');
    expect(down.message).toContain('cannot reach the RabbitMQ broker at amqp://guest@127.0.0.1:5672');
  });
});

describe('queue names', () => {
  it('one queue per host, named after its authority', () => {
    expect(queueOf('amqp://127.0.0.1:1277/')).toBe('tsactor:127.0.0.1:1277');
    expect(baseOfQueue('tsactor:127.0.0.1:1277')).toBe('amqp://127.0.0.1:1277/');
    expect(() => queueOf('grpc://127.0.0.1:1277/')).toThrow(HostError);
  });
});
