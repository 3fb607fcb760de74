#!/usr/bin/env node
// Runs the pinned pnpm (from package.json "packageManager") through npx, so a machine
// with only Node and npm can install and test the workspace.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const pkg = require(path.join(__dirname, '..', 'package.json'));
const pinned = pkg.packageManager;
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const r = spawnSync(npx, ['-y', pinned, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: path.join(__dirname, '..'),
  env: { ...process.env, npm_config_update_notifier: 'false' },
});
if (r.error) {
  console.error(`could not run ${pinned} through npx: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
