#!/usr/bin/env node
/**
 * Benchmark of the gRPC transport between two processes on this machine (run `npx tsc -b`
 * first): remote tells, pipelined asks and sequential ask latency, each measured ROUNDS
 * times; prints the best and the spread.
 *
 *   node packages/transport-grpc/bench/grpc-bench.js [--rounds 5] [--tells 1000000] [--asks 200000]
 *
 * The serving host runs in a child process (this script with --serve PORT).
 */
'use strict';
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');
const t = require(path.join(__dirname, '..', '..', 'tsactor', 'dist'));

// the actor, decorated by hand (standard decorator calls) so this stays plain JavaScript
class Sink {
  constructor() {
    this.n = 0;
  }
  inc() {
    this.n++;
  }
  count() {
    return this.n;
  }
  echo(x) {
    return x;
  }
}
t.Tell(Sink.prototype.inc, { kind: 'method', name: 'inc' });
t.Ask(Sink.prototype.count, { kind: 'method', name: 'count' });
t.Ask(Sink.prototype.echo, { kind: 'method', name: 'echo' });
t.Actor(Sink, { kind: 'class', name: 'Sink' });

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
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

async function serve(port) {
  const host = await t.createHost(`grpc://127.0.0.1:${port}/`);
  await host.spawn('sink', Sink);
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => t.shutdown().then(() => process.exit(0)));
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { best: sorted[sorted.length - 1], worst: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

let child = null;

async function main() {
  const rounds = arg('rounds', 5);
  const nTells = arg('tells', 1_000_000);
  const nAsks = arg('asks', 200_000);
  const nSeq = arg('seq', 5000);
  const port = await freePort();
  child = spawn(process.execPath, [...process.execArgv, __filename, '--serve', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => (String(d).includes('ready') ? resolve() : undefined));
    child.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
  });
  const me = await t.createHost(`grpc://127.0.0.1:${await freePort()}/`);
  const sink = (await me.lookupUrl(`grpc://127.0.0.1:${port}/sink`)).withTimeout(300);
  await sink.echo('warm up');

  const tellRates = [];
  const askRates = [];
  const latencies = [];
  for (let r = 0; r < rounds; r++) {
    // tells: all sent, then one ask (handled after them: same sender, same order)
    const before = await sink.count();
    let t0 = performance.now();
    for (let i = 0; i < nTells; i++) sink.inc();
    const after = await sink.count();
    let secs = (performance.now() - t0) / 1000;
    if (after - before !== nTells) throw new Error(`lost tells: ${after - before} of ${nTells}`);
    tellRates.push(nTells / secs);

    // pipelined asks: all sent before the first answer is awaited
    t0 = performance.now();
    const fs = new Array(nAsks);
    for (let i = 0; i < nAsks; i++) fs[i] = sink.echo(i);
    const answers = await Promise.all(fs);
    secs = (performance.now() - t0) / 1000;
    for (let i = 0; i < nAsks; i++) if (answers[i] !== i) throw new Error(`wrong answer ${answers[i]} for ${i}`);
    askRates.push(nAsks / secs);

    // sequential asks: one at a time
    const lat = [];
    for (let i = 0; i < nSeq; i++) {
      const s = performance.now();
      await sink.echo(i);
      lat.push((performance.now() - s) * 1000);
    }
    lat.sort((a, b) => a - b);
    latencies.push({
      p50: lat[Math.floor(lat.length / 2)],
      p99: lat[Math.floor(lat.length * 0.99)],
      mean: lat.reduce((a, b) => a + b, 0) / lat.length,
    });
    process.stdout.write(
      `round ${r + 1}/${rounds}: tells ${Math.round(tellRates[r]).toLocaleString('en')} msg/s, pipelined asks ${Math.round(askRates[r]).toLocaleString('en')}/s, sequential ask p50 ${latencies[r].p50.toFixed(0)} µs p99 ${latencies[r].p99.toFixed(0)} µs\n`,
    );
  }
  const ts = stats(tellRates);
  const as = stats(askRates);
  const p50 = stats(latencies.map((l) => -l.p50));
  const fmt = (x) => Math.round(x).toLocaleString('en');
  process.stdout.write(
    `\nremote tells:     best ${fmt(ts.best)} msg/s (median ${fmt(ts.median)}, worst ${fmt(ts.worst)})\n` +
      `pipelined asks:   best ${fmt(as.best)}/s (median ${fmt(as.median)}, worst ${fmt(as.worst)})\n` +
      `sequential ask:   best p50 ${(-p50.best).toFixed(0)} µs (median ${(-p50.median).toFixed(0)}, worst ${(-p50.worst).toFixed(0)} µs)\n`,
  );
  await t.shutdown();
  child.kill('SIGTERM');
}

if (process.argv.includes('--serve')) void serve(arg('serve', 0));
else
  main().catch((e) => {
    console.error(e);
    if (child !== null) child.kill('SIGKILL');
    process.exit(1);
  });
