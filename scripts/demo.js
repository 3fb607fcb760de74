#!/usr/bin/env node
/**
 * `npm start`: a tsactor cluster on loopback with virtual actors (SPEC §6.4).
 *
 * - three member processes join cluster 'demo' and declare the kind Cart; membership lives
 *   on the first member (seeds: nothing to install), or in Redis (--redis [URL]) or
 *   PostgreSQL (--postgres [URL]);
 * - this process joins as a member that only calls: cluster.get(Cart, 'cart-N') gives a
 *   proxy at once, and each cart is activated on its owner (rendezvous placement) at its
 *   first call;
 * - then the member serving the most carts (not the seed) is killed with SIGKILL: calls to its
 *   carts fail at once (HostDownError), and the next calls activate them on the survivors;
 * - the demo then stops every member (they leave the cluster) and exits with code 0.
 *
 * Options: --redis [URL], --postgres [URL], --ttl SECONDS (member and activation leases, default 1.5).
 */
'use strict';
const path = require('node:path');
const net = require('node:net');
const { fork } = require('node:child_process');
const t = require(path.join(__dirname, '..', 'packages', 'tsactor', 'dist'));
const { Cart } = require('./demo/actors');

const CARTS = 6;

function log(who, msg) {
  process.stdout.write(`[${who}] ${msg}\n`);
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const next = process.argv[i + 1];
  return next !== undefined && !next.startsWith('--') ? next : fallback;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const children = [];

function startMember(who, args) {
  const child = fork(path.join(__dirname, 'demo', 'member.js'), args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  const entry = { who, child, url: args[0] };
  children.push(entry);
  const prefix = (stream, out) => {
    let partial = '';
    stream.setEncoding('utf8').on('data', (d) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const l of lines) out.write(`[${who}] ${l}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  log('main', `started ${who} at ${args[0]} (pid ${child.pid})`);
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(entry) : reject(new Error(`${who}: ${m}`))));
    child.once('exit', (code) => reject(new Error(`${who} exited with code ${code} before it was ready`)));
  });
}

function stopMember({ who, child }) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      log('main', `${who} exited with code ${code}`);
      resolve(code);
    });
    child.send('stop');
  });
}

function nameOf(url) {
  return children.find((c) => c.url === url)?.who ?? url;
}

async function main() {
  const redis = option('--redis', 'redis://127.0.0.1:6379');
  const postgres = option('--postgres', 'postgres://postgres@127.0.0.1:5432/test');
  const ttl = Number(option('--ttl', '1.5') ?? 1.5);
  let stopRequested = false;
  process.on('SIGINT', () => {
    stopRequested = true;
    log('main', 'Ctrl+C (SIGINT): stopping after this step');
  });

  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const urls = ports.map((p) => `grpc://127.0.0.1:${p}/`);
  const membership = redis ?? postgres ?? { seeds: [urls[1]] };
  const name = `demo-${process.pid}`;
  const where = redis ? `Redis at ${redis}` : postgres ? `PostgreSQL at ${postgres}` : `the seed member (member-1, ${urls[1]})`;
  log('main', `tsactor cluster demo: cluster '${name}', 3 members serving virtual Carts, membership in ${where}, leases of ${ttl} s`);

  let cluster;
  try {
    // the seed first: the others join through it
    await startMember('member-1', [urls[1], name, JSON.stringify(membership), String(ttl)]);
    await Promise.all([
      startMember('member-2', [urls[2], name, JSON.stringify(membership), String(ttl)]),
      startMember('member-3', [urls[3], name, JSON.stringify(membership), String(ttl)]),
    ]);
    // this process's host, with the inspector (TSACTOR_INSPECTOR's port when set, else any free port)
    await t.createHost(urls[0], { inspector: process.env.TSACTOR_INSPECTOR ? undefined : 0 });
    log('main', `inspector (a live page of this host, its actors and its peers): ${t.inspectorUrls().join(' ')}`);
    cluster = await t.joinCluster({ name, url: urls[0], membership, kinds: [], ttl });
    while (cluster.members().filter((m) => m.kinds.includes('Cart')).length < 3) await t.sleep(0.05);
    log(
      'main',
      `this process joined as a caller; members: ${cluster
        .members()
        .map((m) => `${nameOf(m.url)} [${m.kinds.join(', ') || 'caller'}] ${m.status}`)
        .join(', ')}`,
    );

    const carts = Array.from({ length: CARTS }, (_, i) => `cart-${i + 1}`);
    const served = new Map();
    log('main', `cluster.get(Cart, key) for ${carts.join(', ')}: proxies at once, activated on first call`);
    for (const [i, key] of carts.entries()) {
      const r = await cluster.get(Cart, key).add(`book-${i + 1}`);
      served.set(key, r.member);
      log('main', `${key}.add('book-${i + 1}') -> ${r.items} item(s), served by ${nameOf(r.member)}`);
    }
    for (const key of carts) {
      const r = await cluster.get(Cart, key).add('pen');
      log('main', `${key}.add('pen') -> ${r.items} item(s), served by ${nameOf(r.member)} (same activation)`);
    }
    if (stopRequested) return;

    // the member (other than the seed) serving the most carts
    const count = (url) => [...served.values()].filter((u) => u === url).length;
    const victim = children.filter((c) => c.who !== 'member-1').sort((a, b) => count(b.url) - count(a.url))[0];
    const moved = carts.filter((k) => served.get(k) === victim.url);
    log('main', `killing ${victim.who} (pid ${victim.child.pid}) with SIGKILL; it serves ${moved.join(', ') || 'no cart'}`);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await new Promise((resolve) => victim.child.once('exit', resolve));

    const back = new Set();
    const failed = new Set();
    while (back.size < moved.length && Date.now() - killedAt < 30_000) {
      for (const key of moved) {
        if (back.has(key)) continue;
        try {
          const r = await cluster.get(Cart, key).add('after-failover');
          back.add(key);
          log(
            'main',
            `${key} is back on ${nameOf(r.member)} after ${((Date.now() - killedAt) / 1000).toFixed(2)} s (a new activation: ${r.items} item(s))`,
          );
        } catch (e) {
          if (!failed.has(key)) log('main', `${key}.add() failed at once: ${e.name}: ${e.message.split('\n')[0]}`);
          failed.add(key);
        }
      }
      await t.sleep(0.1);
    }
    if (back.size < moved.length) throw new Error(`carts ${moved.filter((k) => !back.has(k)).join(', ')} did not come back within 30 s`);
    log(
      'main',
      `members now: ${cluster
        .members()
        .map((m) => nameOf(m.url))
        .join(', ')}`,
    );
    for (const key of carts) {
      const r = await cluster.get(Cart, key).add('last');
      log('main', `${key} -> ${r.items} item(s) on ${nameOf(r.member)}`);
    }
  } finally {
    if (cluster !== undefined) await cluster.leave();
    for (const c of [...children].reverse()) await stopMember(c);
    await t.shutdown();
  }
  log('main', 'demo finished: every member left the cluster and stopped');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(1);
  },
);
