/**
 * The inspector in a real browser (Debian's chromium driven by playwright-core): the page
 * shows the actors of the process, counts that grow as messages are handled, an error as
 * it happens, a restart, a stop, and an edge of the sender graph; it updates over
 * server-sent events without reloading. Saves a screenshot under the OS temp directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Actor, ActorBase, Tell, createHost, setErrorHandler, shutdown, type ErrorHandler, type HostProxy, type Proxy } from 'tsactor';
import { recordRestart } from '@tsactor/core/internal';
import { inspectorUrls } from '@tsactor/inspector';

const CHROMIUM = '/usr/bin/chromium';

@Actor
class Pong extends ActorBase {
  got = 0;
  @Tell pong(): void {
    this.got++;
  }
}

@Actor
class Ping extends ActorBase {
  constructor(private readonly to: Proxy<Pong>) {
    super();
  }
  @Tell ping(times: number): void {
    for (let i = 0; i < times; i++) this.to.pong();
  }
}

@Actor
class Fragile extends ActorBase {
  @Tell explode(why: string): void {
    throw new Error(`exploded: ${why}`);
  }
}

let browser: Browser | undefined;
let page: Page;
let host: HostProxy;
let previousHandler: ErrorHandler | undefined;
const reported: Error[] = [];

/** The text of the cell `column` of the row of actor `id`. */
function cell(id: string, column: string): string {
  return `section.host tr[data-actor$="/${id}"] td.${column}`;
}

/** What the page's functions see of the document (the tests are compiled without the DOM's types). */
interface PageDocument {
  querySelector(selector: string): { textContent: string | null } | null;
}

/** Resolves once the text of the element at `selector` matches `pattern` (checked in the page at each change). */
async function textWhere(selector: string, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    ([sel, source]) => {
      const doc = (globalThis as unknown as { document: PageDocument }).document;
      return new RegExp(source).test(doc.querySelector(sel)?.textContent ?? '');
    },
    [selector, pattern.source] as const,
  );
}

async function numberIn(selector: string): Promise<number> {
  return Number(await page.textContent(selector));
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  }
  previousHandler = setErrorHandler((e) => reported.push(e));
  host = await createHost('local://inspector-test:1/host', { inspector: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await shutdown();
  // undefined when beforeAll stopped before installing the test's handler
  if (previousHandler !== undefined) setErrorHandler(previousHandler);
});

it('shows actors, growing counts, an error, a restart, a stop and the sender graph, live', async () => {
  const urls = inspectorUrls();
  expect(urls).toHaveLength(1);
  expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

  const pong = await host.spawn('pong', Pong);
  const ping = await host.spawn('ping', Ping, pong);
  const fragile = await host.spawn('fragile', Fragile);
  ping.ping(3);

  await page.goto(urls[0]!);
  await page.waitForSelector('#status.live');
  // the actors by id, in the host's table
  await page.waitForSelector(cell('pong', 'id'));
  expect(await page.textContent(cell('ping', 'id'))).toBe('ping');
  expect(await page.textContent(cell('fragile', 'class'))).toBe('Fragile');
  await textWhere(cell('pong', 'handled'), /^3$/);

  // counts grow without a reload
  const updates = Number(await page.getAttribute('body', 'data-updates'));
  ping.ping(40);
  await textWhere(cell('pong', 'handled'), /^43$/);
  expect(Number(await page.getAttribute('body', 'data-updates'))).toBeGreaterThan(updates);
  expect(await numberIn(cell('ping', 'handled'))).toBe(2);

  // an edge of the graph: ping sends to pong, with its count
  const edge = 'g.edge[data-from$="/ping"][data-to$="/pong"]';
  await page.waitForSelector(edge, { state: 'attached' });
  expect(await page.textContent(`${edge} text`)).toMatch(/\(43\)$/);

  // an error shows as it happens: in the actor's row and in the events
  fragile.explode('on purpose');
  await textWhere(cell('fragile', 'last-error'), /exploded: on purpose/);
  expect(await numberIn(cell('fragile', 'errors'))).toBe(1);
  await page.waitForSelector('#event-list li.error[data-actor$="/fragile"]');
  expect(reported.map((e) => e.message)).toContain('exploded: on purpose');

  // a restart (what a supervisor reports through recordRestart)
  recordRestart(fragile.getUrl(), 'exploded: on purpose');
  await textWhere(cell('fragile', 'restarts'), /^1$/);
  await page.waitForSelector('#event-list li.restart[data-actor$="/fragile"]');

  // a steady stream of messages shows as a rate
  const stream = setInterval(() => ping.ping(5), 20);
  try {
    await textWhere(cell('pong', 'rate'), /^([1-9]|0\.[1-9])/);
    await textWhere(`${edge} text`, /^[1-9][0-9.]*\/s/);
  } finally {
    clearInterval(stream);
  }

  const shot = path.join(os.tmpdir(), `tsactor-inspector-${process.pid}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  process.stdout.write(`inspector screenshot: ${shot}\n`);
  if (process.env.TSACTOR_INSPECTOR_SCREENSHOT !== undefined) fs.copyFileSync(shot, process.env.TSACTOR_INSPECTOR_SCREENSHOT);
  expect(fs.statSync(shot).size).toBeGreaterThan(10_000);

  // a stop shows as it happens: the row goes, the event comes
  await host.stopActor('fragile');
  await page.waitForSelector('#event-list li.stopped[data-actor$="/fragile"]');
  expect(await page.$(cell('fragile', 'id'))).toBeNull();
}, 60_000);

it('refuses a non-loopback inspector for a host without a token', async () => {
  await expect(createHost('local://inspector-test:2/host', { inspector: { port: 0, address: '0.0.0.0' } })).rejects.toMatchObject({
    code: 'INSPECTOR_UNPROTECTED',
  });
});
