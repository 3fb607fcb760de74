/**
 * @tsactor/testing: the conformance suite every runtime and transport of tsactor runs, and
 * the actor classes it uses.
 */
export { describeConformance, type ConformanceTarget } from './conformance';
export { twoHostSetup } from './targets';
export * as actors from './actors';
export { settle, within, errorOf, captureReports, freePort, type Outcome, type Report } from './helpers';
