/**
 * The services the cluster tests use: Redis (127.0.0.1:6379, or TSACTOR_REDIS_URL) and
 * PostgreSQL (postgres://postgres@127.0.0.1:5432/test, or TSACTOR_PG_URL). A suite that needs
 * one runs when it answers; otherwise it fails under CI=true and is skipped elsewhere, saying
 * why.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const PACKAGE_DIR = path.join(__dirname, '..');

export const REDIS_URL = process.env.TSACTOR_REDIS_URL || 'redis://127.0.0.1:6379';
export const PG_URL = process.env.TSACTOR_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A cluster name no other test run uses. */
let serial = 0;
export function uniqueName(label: string): string {
  return `test-${label}-${process.pid}-${Date.now().toString(36)}-${++serial}`;
}

const probes: Record<'Redis' | 'PostgreSQL', { script: string; url: string; start: string }> = {
  Redis: {
    url: REDIS_URL,
    start: `redis-server --daemonize yes --port 6379 (.ci/run does)`,
    script: `
      const Redis = require(${JSON.stringify(require.resolve('ioredis', { paths: [PACKAGE_DIR] }))});
      const c = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
      let last;
      c.on('error', (e) => { last = e; });
      c.connect().then(() => c.ping()).then(
        () => { c.disconnect(); process.exit(0); },
        (e) => { console.error((last || e).message); process.exit(1); });`,
  },
  PostgreSQL: {
    url: PG_URL,
    start: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, and createdb -U postgres test (.ci/run does)`,
    script: `
      const { Client } = require(${JSON.stringify(require.resolve('pg', { paths: [PACKAGE_DIR] }))});
      const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
      c.connect().then(() => c.query('SELECT 1')).then(
        () => c.end().then(() => process.exit(0)),
        (e) => { console.error(e.message); process.exit(1); });`,
  },
};

const status = new Map<string, { ok: boolean; reason: string }>();

/** Whether the service answers now (checked once per test file, synchronously). */
function serviceStatus(service: keyof typeof probes): { ok: boolean; reason: string } {
  let s = status.get(service);
  if (s !== undefined) return s;
  const p = probes[service];
  const r = spawnSync(process.execPath, ['-e', p.script, p.url], { encoding: 'utf8', timeout: 10_000 });
  const shown = p.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1@');
  s =
    r.status === 0
      ? { ok: true, reason: '' }
      : {
          ok: false,
          reason: `${service} is not answering at ${shown}: ${(r.stderr || r.error?.message || 'no answer').trim().replace(/\.$/, '')}`,
        };
  status.set(service, s);
  return s;
}

/**
 * `describe` for suites that need `service`: runs with it; without it fails under CI=true
 * (one test that throws the reason) and elsewhere is skipped with the reason printed.
 */
export function describeWithService(service: keyof typeof probes, name: string, fn: () => void): void {
  const s = serviceStatus(service);
  if (s.ok) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs a running ${service} (CI=true makes the cluster tests required)`, () => {
        throw new Error(`${s.reason}. Start it with: ${probes[service].start}`);
      });
    });
  } else {
    process.stderr.write(
      `\nSKIPPED '${name}': ${s.reason}. Start it with: ${probes[service].start}, to run these tests (under CI=true they fail instead).\n`,
    );
    describe.skip(name, fn);
  }
}
