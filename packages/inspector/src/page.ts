/**
 * The inspector's page: plain HTML, CSS and JavaScript with an SVG graph, no framework and
 * nothing loaded from elsewhere. It subscribes to /events (server-sent events) and redraws
 * from each snapshot; every text from the process is set with textContent (never as HTML).
 */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tsactor inspector</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 18px; display: flex; align-items: center; gap: 12px; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  #status { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #a33; }
  #status.live { background: #2a7d46; }
  main { display: grid; grid-template-columns: minmax(420px, 1fr) minmax(380px, 1fr); gap: 16px; padding: 16px; }
  section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 10px 14px; margin-bottom: 16px; overflow-x: auto; }
  h2 { font-size: 15px; margin: 4px 0 8px; }
  .host h2 small { color: #667; font-weight: normal; }
  .peers { font-size: 12px; color: #445; margin-bottom: 6px; }
  .peer.up::before { content: '\\25CF '; color: #2a7d46; }
  .peer.down::before { content: '\\25CF '; color: #a33; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eef0f3; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.last-error { color: #a33; max-width: 200px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  tr.flash td { background: #fff3cd; }
  #graph svg { width: 100%; height: 420px; }
  .node circle { fill: #3d6fb6; }
  .node.outside circle { fill: #999; }
  .node.failed circle { fill: #c0392b; }
  .node text { font-size: 11px; }
  .edge line { stroke: #8795ad; stroke-width: 1.5; }
  .edge text { font-size: 10px; fill: #35435c; }
  #events ol { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; font-size: 12px; }
  #events li { padding: 2px 0; border-bottom: 1px solid #f0f0f0; }
  #events .kind { display: inline-block; min-width: 74px; font-weight: 600; }
  #events .error .kind, #events .dead-letter .kind { color: #a33; }
  #events .restart .kind { color: #b36b00; }
  #events .stopped .kind { color: #555; }
  #events .started .kind { color: #2a7d46; }
</style>
</head>
<body>
<header><h1>tsactor inspector</h1><span id="status">connecting</span><span id="clock"></span></header>
<main>
  <div id="hosts"></div>
  <div>
    <section id="graph"><h2>Who sends to whom</h2><svg id="svg" viewBox="0 0 600 420" role="img" aria-label="message graph">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="16" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#8795ad"></path></marker></defs>
      <g id="edges"></g><g id="nodes"></g></svg></section>
    <section id="events"><h2>Events</h2><ol id="event-list"></ol></section>
  </div>
</main>
<script>
'use strict';
const SVG = 'http://www.w3.org/2000/svg';
const el = (tag, props, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};
const svgEl = (tag, attrs) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
};
const short = (url) => url === '' ? '(outside actors)' : url.replace(/^[a-z]+:\\/\\//, '');
const lastHandled = new Map();

function drawHosts(s) {
  const root = document.getElementById('hosts');
  const sections = [];
  for (const h of s.hosts) {
    const peers = el('div', { class: 'peers' }, 'talks to: ');
    if (h.peers.length === 0) peers.append('no other host');
    for (const p of h.peers) peers.append(el('span', { class: 'peer ' + (p.up === false ? 'down' : 'up'), 'data-peer': p.url, text: p.url + ' ' }));
    const rows = h.actors.map((a) => {
      const tr = el('tr', { 'data-actor': a.url },
        el('td', { class: 'id', text: a.id }),
        el('td', { class: 'class', text: a.className }),
        el('td', { class: 'num depth', text: a.depth === null ? '\\u2014' : String(a.depth) }),
        el('td', { class: 'num handled', text: String(a.handled) }),
        el('td', { class: 'num rate', text: a.rate.toFixed(1) }),
        el('td', { class: 'num errors', text: String(a.errors) }),
        el('td', { class: 'num restarts', text: String(a.restarts) }),
        el('td', { class: 'last-error', text: a.lastError || '', title: a.lastError || '' }));
      if (lastHandled.has(a.url) && lastHandled.get(a.url) !== a.handled) tr.classList.add('flash');
      lastHandled.set(a.url, a.handled);
      return tr;
    });
    const table = el('table', {},
      el('thead', {}, el('tr', {}, ...['actor', 'class', 'mailbox', 'handled', 'msg/s', 'errors', 'restarts', 'last error']
        .map((t, i) => el('th', { class: i >= 2 && i <= 6 ? 'num' : '', text: t })))),
      el('tbody', {}, ...rows));
    sections.push(el('section', { class: 'host', 'data-host': h.url },
      el('h2', {}, h.url + ' ', el('small', { text: h.runtime + ' \\u00b7 ' + h.actors.length + ' actors' })), peers, table));
  }
  root.replaceChildren(...sections);
}

function drawGraph(s) {
  const failed = new Set();
  const names = new Set();
  for (const h of s.hosts) for (const a of h.actors) { names.add(a.url); if (a.lastError) failed.add(a.url); }
  for (const e of s.edges) { names.add(e.from); names.add(e.to); }
  const list = [...names].sort();
  const pos = new Map();
  const cx = 300, cy = 210, r = list.length <= 1 ? 0 : 160;
  list.forEach((n, i) => {
    const t = (2 * Math.PI * i) / Math.max(1, list.length) - Math.PI / 2;
    pos.set(n, [cx + r * Math.cos(t), cy + r * Math.sin(t)]);
  });
  const edges = document.getElementById('edges');
  edges.replaceChildren(...s.edges.map((e) => {
    const [x1, y1] = pos.get(e.from), [x2, y2] = pos.get(e.to);
    const g = svgEl('g', { class: 'edge', 'data-from': e.from, 'data-to': e.to });
    if (e.from === e.to) {
      g.append(svgEl('circle', { cx: x1, cy: y1 - 18, r: 12, fill: 'none', stroke: '#8795ad' }));
    } else {
      g.append(svgEl('line', { x1, y1, x2, y2, 'marker-end': 'url(#arrow)' }));
    }
    const label = svgEl('text', { x: (x1 + x2) / 2 + 4, y: (y1 + y2) / 2 - 4 - (e.from === e.to ? 30 : 0), class: 'edge-label' });
    label.textContent = e.rate.toFixed(1) + '/s (' + e.count + ')';
    g.append(label);
    return g;
  }));
  const nodes = document.getElementById('nodes');
  nodes.replaceChildren(...list.map((n) => {
    const [x, y] = pos.get(n);
    const g = svgEl('g', { class: 'node' + (n === '' ? ' outside' : '') + (failed.has(n) ? ' failed' : ''), 'data-node': n });
    g.append(svgEl('circle', { cx: x, cy: y, r: 9 }));
    const t = svgEl('text', { x: x + 12, y: y + 4 });
    t.textContent = short(n);
    g.append(t);
    return g;
  }));
}

function drawEvents(s) {
  const list = document.getElementById('event-list');
  list.replaceChildren(...s.events.slice().reverse().map((e) =>
    el('li', { class: e.kind, 'data-kind': e.kind, 'data-actor': e.actor },
      el('span', { class: 'kind', text: e.kind }), ' ' + new Date(e.at).toLocaleTimeString() + ' ',
      el('b', { text: short(e.actor) }), ' ' + e.message)));
}

function draw(s) {
  drawHosts(s);
  drawGraph(s);
  drawEvents(s);
  document.getElementById('clock').textContent = new Date(s.at).toLocaleTimeString();
  document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
}

const source = new EventSource('events' + location.search);
source.onopen = () => { const st = document.getElementById('status'); st.textContent = 'live'; st.className = 'live'; };
source.onerror = () => { const st = document.getElementById('status'); st.textContent = 'disconnected'; st.className = ''; };
source.onmessage = (m) => draw(JSON.parse(m.data));
</script>
</body>
</html>
`;
