/** Registers the runtimes for the benchmark scripts (the compiled packages, as an application gets them). */
import { hasRuntime, registerRuntime } from '@tsactor/core/internal';
import { asyncRuntime } from '@tsactor/runtime-async';
// the compiled runtime (dist), so that the workers run compiled code too: `npx tsc -b` first
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { threadsRuntime } = require('..') as typeof import('../src');

if (!hasRuntime('async')) registerRuntime(asyncRuntime);
if (!hasRuntime('threads')) registerRuntime(threadsRuntime);

/** best, median and worst of a list of rates */
export function spread(values: number[]): { best: number; median: number; worst: number } {
  const s = [...values].sort((a, b) => b - a);
  return { best: s[0]!, median: s[Math.floor(s.length / 2)]!, worst: s[s.length - 1]! };
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
