/** Starts test/fixtures/peer.ts (or another fixture) in a child process: a grpc:// host of its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface PeerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a peer host at `url` and waits for its 'ready' line (at most 30 s). */
export function startPeer(url: string, token = '', script = 'peer.ts'): Promise<PeerProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'fixtures', script), url, token], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_PATH: path.join(ROOT, 'examples', 'node_modules'),
      TS_NODE_PROJECT: path.join(ROOT, 'examples', 'tsconfig.json'),
      TSACTOR_CONTEXT: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peer at ${url} did not start:\n${out}`));
    }, 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve({ child, url, output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('ready\n')) reject(new Error(`peer at ${url} exited with ${code}:\n${out}`));
    });
  });
}
