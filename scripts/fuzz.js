#!/usr/bin/env node
/**
 * The long fuzzing run: the properties of packages/core/test/wire/fuzz.test.ts, each run
 * --runs times (default 200,000), failing any input that takes more than 100 ms.
 *   pnpm fuzz [--runs N]
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1]) : 200_000;
if (!Number.isSafeInteger(runs) || runs <= 0) {
  console.error(`fuzz: --runs takes a positive integer, got ${process.argv[i + 1]}`);
  process.exit(2);
}
const root = path.join(__dirname, '..');
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const r = spawnSync(process.execPath, [jest, 'packages/core/test/wire/fuzz.test.ts', '--runInBand', '--testTimeout', '0'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TSACTOR_FUZZ_RUNS: String(runs) },
});
process.exit(r.status ?? 1);
