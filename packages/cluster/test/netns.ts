/**
 * Network namespaces for the partition tests: a namespace `tsa…` joined to the host by a veth
 * pair with addresses 10.200.X.1 (host side) and 10.200.X.2 (namespace side), and TCP relays
 * (fixtures/relay.ts) on both sides, so that a process in the namespace reaches chosen
 * loopback ports of the host (the store, the other members) and the host reaches its own
 * port, all through the veth: bringing the host side down cuts the process off, bringing it
 * up heals it. Nothing else of the host's network changes; everything is deleted by `destroy`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
}

/** Whether `ip netns` and veth pairs can be made here: null when they can, else why not. */
export function netnsUnavailable(): string | null {
  const name = `tsa${process.pid % 100000}p`;
  try {
    ip(['netns', 'add', name]);
  } catch (e) {
    return (e as Error).message;
  }
  try {
    ip(['link', 'add', `${name}h`, 'type', 'veth', 'peer', 'name', `${name}n`]);
    ip(['link', 'del', `${name}h`]);
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    spawnSync('ip', ['netns', 'del', name]);
  }
}

/**
 * `describe` for suites that need network namespaces: runs when they can be made; otherwise
 * fails under CI=true and is skipped elsewhere, saying why.
 */
export function describeWithNetns(name: string, fn: () => void): void {
  const reason = netnsUnavailable();
  if (reason === null) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs ip netns and veth pairs (root or CAP_NET_ADMIN; CI=true makes the partition tests required)', () => {
        throw new Error(reason);
      });
    });
  } else {
    process.stderr.write(
      `\nSKIPPED '${name}': network namespaces cannot be made here (${reason}); run as root to run it (under CI=true it fails instead).\n`,
    );
    describe.skip(name, fn);
  }
}

/** A relay mapping: connections to `listen` are piped to `target` (both `HOST:PORT`). */
export interface Mapping {
  readonly listen: string;
  readonly target: string;
}

let serial = 0;

/** One namespace and its veth pair (see the file comment). */
export class NetNamespace {
  private readonly relays: ChildProcess[] = [];
  private deleted = false;

  private constructor(
    /** the namespace's name */
    readonly name: string,
    /** the host side of the veth pair */
    readonly hostIf: string,
    /** the host side's address */
    readonly hostAddr: string,
    /** the namespace side's address */
    readonly nsAddr: string,
  ) {}

  /** Makes the namespace and the veth pair, on a 10.200.X.0/24 no interface of the host uses yet. */
  static create(): NetNamespace {
    const name = `tsa${process.pid % 100000}${String.fromCharCode(97 + (serial++ % 26))}`;
    const used = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).stdout;
    let x = 1 + ((process.pid + serial * 37) % 250);
    while (used.includes(`10.200.${x}.`)) x = 1 + (x % 250);
    const ns = new NetNamespace(name, `${name}h`, `10.200.${x}.1`, `10.200.${x}.2`);
    try {
      ip(['netns', 'add', name]);
      ip(['link', 'add', ns.hostIf, 'type', 'veth', 'peer', 'name', `${name}n`]);
      ip(['link', 'set', `${name}n`, 'netns', name]);
      ip(['addr', 'add', `${ns.hostAddr}/24`, 'dev', ns.hostIf]);
      ip(['link', 'set', ns.hostIf, 'up']);
      ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${ns.nsAddr}/24`, 'dev', `${name}n`]);
      ip(['netns', 'exec', name, 'ip', 'link', 'set', `${name}n`, 'up']);
      ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  /** The command prefix that runs a program inside the namespace. */
  exec(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /**
   * Starts a relay (fixtures/relay.ts) on the host (`inside` false) or in the namespace, and
   * waits until it listens.
   */
  async relay(inside: boolean, mappings: readonly Mapping[]): Promise<void> {
    const args = [
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, 'fixtures', 'relay.ts'),
      ...mappings.map((m) => `${m.listen}=${m.target}`),
    ];
    const [cmd, ...rest] = inside ? [...this.exec(), process.execPath, ...args] : [process.execPath, ...args];
    const child = spawn(cmd!, rest, {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'examples', 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.relays.push(child);
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`relay exited (${code}) before it listened: ${err}`)));
    });
  }

  /** Cuts the namespace off: the host side of the veth goes down (nothing passes either way). */
  cut(): void {
    ip(['link', 'set', this.hostIf, 'down']);
  }

  /** Heals the cut: the host side comes up again (its address and route come back with it). */
  heal(): void {
    ip(['link', 'set', this.hostIf, 'up']);
  }

  /** Stops the relays, deletes the veth pair and the namespace (idempotent; never throws). */
  destroy(): void {
    if (this.deleted) return;
    this.deleted = true;
    for (const r of this.relays) if (r.exitCode === null && r.signalCode === null) r.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', this.hostIf]);
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}
