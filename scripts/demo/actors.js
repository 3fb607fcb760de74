/**
 * The actors of the demo cluster (plain JavaScript: decorators applied by hand, as standard
 * decorator calls). The worker hosts' module root is this folder, so a remote spawn of
 * 'actors/WordCounter' loads this file there.
 */
'use strict';
const path = require('node:path');
const t = require(path.join(__dirname, '..', '..', 'packages', 'tsactor', 'dist'));

/** Applies @Actor and the method decorators: spec maps a method to ['Tell'|'Ask'|'Ref'|'Parallel', ...]. */
function actor(klass, spec) {
  for (const [name, decorators] of Object.entries(spec)) {
    for (const d of decorators) t[d](klass.prototype[name], { kind: 'method', name });
  }
  t.Actor(klass, { kind: 'class', name: klass.name });
  return klass;
}

/** Where hosts register themselves; what the others look them up in. */
class Registry {
  constructor() {
    this.hosts = new Map();
  }
  bind(name, host) {
    this.hosts.set(name, host);
    console.log(`bound '${name}' -> ${host.getUrl()} (${this.hosts.size} host(s) registered)`);
    return this.hosts.size;
  }
  unbind(name) {
    this.hosts.delete(name);
  }
  list() {
    return [...this.hosts.entries()];
  }
}
actor(Registry, { bind: ['Ask', 'Ref'], unbind: ['Ask'], list: ['Ask', 'Ref'] });

/** Counts the words of the lines it is given and reports them to an aggregator (a proxy it is sent). */
class WordCounter extends t.ActorBase {
  constructor() {
    super();
    this.lines = 0;
  }
  count(round, line, aggregator) {
    const counts = new Map();
    for (const w of line.toLowerCase().match(/[a-z']+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
    this.lines++;
    console.log(
      `round ${round}: ${this.id} counted ${[...counts.values()].reduce((a, b) => a + b, 0)} words, reporting to ${aggregator.getUrl()}`,
    );
    aggregator.add(round, this.url, counts);
  }
  linesSoFar() {
    return this.lines;
  }
}
actor(WordCounter, { count: ['Tell', 'Ref'], linesSoFar: ['Ask'] });

/** Sums the counts of one round, from every counter. */
class Aggregator {
  constructor() {
    this.rounds = new Map();
  }
  add(round, from, counts) {
    let r = this.rounds.get(round);
    if (r === undefined) this.rounds.set(round, (r = { reports: 0, from: new Set(), totals: new Map() }));
    r.reports++;
    r.from.add(from);
    for (const [w, n] of counts) r.totals.set(w, (r.totals.get(w) ?? 0) + n);
  }
  round(round) {
    const r = this.rounds.get(round);
    return r === undefined ? { reports: 0, from: [], totals: new Map() } : { reports: r.reports, from: [...r.from], totals: r.totals };
  }
}
actor(Aggregator, { add: ['Tell'], round: ['Ask'] });

/** A shopping cart: a virtual actor of the cluster demo (its id is 'Cart/<key>'). */
class Cart extends t.ActorBase {
  constructor() {
    super();
    this.items = [];
  }
  add(item) {
    this.items.push(item);
    return { member: this.host.getUrl(), items: this.items.length };
  }
}
actor(Cart, { add: ['Ask'] });

module.exports = { Registry, WordCounter, Aggregator, Cart };
