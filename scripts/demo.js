#!/usr/bin/env node
/**
 * `npm start`: a small gRPC cluster on loopback (SPEC §5).
 *
 * - a registry host process (a Registry actor) and two worker host processes, each
 *   binding its own host proxy in the registry (refs passed between hosts);
 * - this process is the client host: it looks the workers up in the registry, spawns a
 *   WordCounter on each by 'actors/WordCounter' (remote spawn under the workers' module
 *   root), and sends them lines with a proxy to an Aggregator living here, which the
 *   counters call back across hosts;
 * - a round every 2 seconds until Ctrl+C (SIGINT) or SIGTERM, then the workers, the
 *   registry and this host shut down in order and the demo exits with code 0.
 *
 * Options: --rounds N stops by itself after N rounds.
 */
'use strict';
const path = require('node:path');
const net = require('node:net');
const { fork } = require('node:child_process');
const t = require(path.join(__dirname, '..', 'packages', 'tsactor', 'dist'));
const { Aggregator } = require('./demo/actors');

const TEXT = [
  'An actor is the unit of computation: it has state, a mailbox and behaviour.',
  'Actors send messages to other actors and never share their state.',
  'A host is an actor too, so its proxy can travel to another host.',
  'The registry knows the hosts; the hosts know nothing of each other.',
  'Remote spawn loads a class from the module root of the remote host.',
  'Every message between two hosts goes over one gRPC stream, in order.',
];

function log(who, msg) {
  process.stdout.write(`[${who}] ${msg}\n`);
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

function startNode(who, args) {
  const child = fork(path.join(__dirname, 'demo', 'node.js'), args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  children.push({ who, child });
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
  log('main', `started ${who} (pid ${child.pid})`);
  return new Promise((resolve, reject) => {
    child.once('message', (m) => (m === 'ready' ? resolve(child) : reject(new Error(`${who}: ${m}`))));
    child.once('exit', (code) => reject(new Error(`${who} exited with code ${code} before it was ready`)));
  });
}

function stopNode({ who, child }) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      log('main', `${who} exited with code ${code}`);
      resolve(code);
    });
    child.send('stop');
  });
}

function top(totals, n) {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([w, c]) => `${w}=${c}`)
    .join(', ');
}

async function main() {
  const maxRounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : Infinity;
  let stopRequested = false;
  let wake = () => undefined;
  const onSignal = (sig) => {
    if (stopRequested) return;
    stopRequested = true;
    log('main', `${sig}: shutting the cluster down`);
    wake();
  };
  process.on('SIGINT', () => onSignal('Ctrl+C (SIGINT)'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  log('main', 'tsactor demo: a gRPC cluster of 4 hosts on loopback');
  const [p0, p1, p2, p3] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const registryUrl = `grpc://127.0.0.1:${p1}/`;
  // the inspector: TSACTOR_INSPECTOR's port when it is set, else any free port of 127.0.0.1
  const inspector = process.env.TSACTOR_INSPECTOR ? undefined : 0;
  const me = await t.createHost(`grpc://127.0.0.1:${p0}/`, { inspector });
  log('main', `client host serving at ${me.getUrl()} (pid ${process.pid})`);
  log('main', `inspector (a live page of this host and its actors): ${t.inspectorUrls().join(' ')}`);
  try {
    await startNode('registry', ['registry', registryUrl]);
    await Promise.all([
      startNode('worker-1', ['worker', `grpc://127.0.0.1:${p2}/`, 'worker-1', registryUrl]),
      startNode('worker-2', ['worker', `grpc://127.0.0.1:${p3}/`, 'worker-2', registryUrl]),
    ]);

    const registry = await me.lookupUrl(`${registryUrl}registry`);
    const hosts = await registry.list(); // [name, host proxy] pairs: refs that came through the registry
    log('main', `the registry lists ${hosts.length} hosts: ${hosts.map(([n, h]) => `${n} at ${h.getUrl()}`).join(', ')}`);

    const counters = [];
    for (const [name, host] of hosts) {
      const counter = await host.spawn('counter', 'actors/WordCounter'); // remote spawn by 'module/Class'
      log('main', `spawned ${counter.getUrl()} on ${name} (class WordCounter from its module root)`);
      counters.push(counter);
    }
    const aggregator = await me.spawn('aggregator', Aggregator);
    log('main', `aggregator at ${aggregator.getUrl()}; its proxy goes to the counters with every line`);
    log('main', 'Press Ctrl+C to stop the cluster');

    for (let round = 1; round <= maxRounds && !stopRequested; round++) {
      TEXT.forEach((line, i) => counters[i % counters.length].count(round, line, aggregator));
      // the counters report to the aggregator: wait for all six reports of this round
      let r;
      for (let tries = 0; tries < 100; tries++) {
        r = await aggregator.round(round);
        if (r.reports === TEXT.length) break;
        await t.sleep(0.05);
      }
      const words = [...r.totals.values()].reduce((a, b) => a + b, 0);
      log('main', `round ${round}: ${r.reports} reports from ${r.from.length} counters, ${words} words; top: ${top(r.totals, 5)}`);
      if (round < maxRounds && !stopRequested) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 2000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    const handled = await Promise.all(counters.map((c) => c.linesSoFar()));
    log('main', `lines handled per counter: ${handled.join(', ')}`);
  } finally {
    // workers first (they hold connections to the registry and to this host), then the registry
    for (const c of [...children].reverse()) await stopNode(c);
    await t.shutdown();
    log('main', 'cluster stopped cleanly');
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(1);
  },
);
