/**
 * The death watch's memory of recent ends: a watch that arrives after its actor ended is
 * told the reason it ended with, for the last 4,096 ends at least, and the memory is bounded.
 */
import { DeathWatch } from '@tsactor/core/internal';

const url = (i: number): string => `local://death-watch-test:1/a${i}`;

describe('DeathWatch: recent ends', () => {
  it('remembers the reason of each of the last 4,096 ends, and forgets ends 8,192 or more ends back', () => {
    const w = new DeathWatch();
    const reasons = ['stopped', 'failed', 'host-down', 'shutdown'] as const;
    const n = 20_000;
    for (let i = 0; i < n; i++) w.ended(url(i), reasons[i % 4]!);
    for (let i = n - 4096; i < n; i++) expect(w.recentEnd(url(i))).toBe(reasons[i % 4]);
    for (let i = 0; i < n - 8192; i += 97) expect(w.recentEnd(url(i))).toBeUndefined();
  });

  it('gives the latest reason of an actor that ended twice (an id spawned again), across generations', () => {
    const w = new DeathWatch();
    w.ended(url(0), 'failed');
    // the first end moves to the older generation
    for (let i = 1; i <= 4096; i++) w.ended(url(i), 'stopped');
    expect(w.recentEnd(url(0))).toBe('failed');
    w.ended(url(0), 'shutdown');
    expect(w.recentEnd(url(0))).toBe('shutdown');
    // and again once the newer end is the older generation's
    for (let i = 1; i <= 4096; i++) w.ended(url(10_000 + i), 'stopped');
    expect(w.recentEnd(url(0))).toBe('shutdown');
  });
});
