/**
 * The errors of @tsactor/cluster. Each is an `ActorError` with a stable `code`, so it can be
 * told apart by code as every tsactor error can.
 */
import { ActorError } from '@tsactor/core';

/** A value given to the cluster API (or received from a peer) is not acceptable. */
export class ClusterArgumentError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'CLUSTER_ARGUMENT' });
  }
}

/** The membership store (Redis, PostgreSQL, the seed) did not answer or answered with an error. */
export class MembershipUnavailableError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'MEMBERSHIP_UNAVAILABLE' });
  }
}

/** A bounded table of the cluster (members, activation leases) is full. */
export class ClusterCapacityError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'CLUSTER_CAPACITY' });
  }
}

/** The membership (or its provider) was closed and cannot be used any more. */
export class MembershipClosedError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'MEMBERSHIP_CLOSED' });
  }
}

/**
 * A virtual actor cannot be reached now: no live member declares its kind, or its activation
 * lease stayed held by a member that cannot be reached until the wait ran out. Call again
 * later (after a member that declares the kind joins, or after the old lease ends).
 */
export class ClusterUnavailableError extends ActorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'CLUSTER_UNAVAILABLE' });
  }
}
