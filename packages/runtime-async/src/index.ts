export { asyncRuntime } from './async-runtime';
