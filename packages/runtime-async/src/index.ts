export { asyncRuntime, spawnCell } from './async-runtime';
