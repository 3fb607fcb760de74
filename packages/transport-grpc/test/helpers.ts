export { freePort } from '@tsactor/testing';

/** Waits until `predicate` holds (checked every 10 ms) or fails after `seconds`. */
export async function until(predicate: () => boolean, seconds = 5, what = 'condition'): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
