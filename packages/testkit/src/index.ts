/**
 * @tsactor/testkit: testing actors. `createTestKit({ clock: 'virtual' })` gives hosts whose
 * timeouts, intervals, `later`, `sleep` and supervision backoff run on a clock the test
 * moves (`kit.advance(seconds)`), probes that record what they receive, and `watchOf` to
 * await an actor's end.
 */
export { createTestKit, TestKit, type TestKitOptions } from './kit';
export { Probe, ProbeExpectationError, type ProbeAsk, type ProbeMessage, type ProbeShape } from './probe';
export { VirtualClock } from './virtual-clock';
