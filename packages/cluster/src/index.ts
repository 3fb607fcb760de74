/**
 * @tsactor/cluster: membership of tsactor clusters in an existing store (Redis, PostgreSQL)
 * or in seed members, activation leases with fencing epochs for virtual actors, and
 * deterministic placement by rendezvous hashing.
 */
export { ClusterArgumentError, ClusterCapacityError, MembershipClosedError, MembershipUnavailableError } from './errors';
export { leaseStatus, type MemberInfo, type MemberRecord, type MemberStatus } from './member';
export type { ActivationLease, AcquireResult, MembershipProvider, Unsubscribe } from './provider';
export { Membership, type LeaseLostReason, type MembershipEvents, type MembershipOptions } from './membership';
export { owner } from './rendezvous';
export { RedisMembership, type RedisMembershipOptions } from './redis-membership';
export { PostgresMembership, type PostgresMembershipOptions } from './postgres-membership';
export { SeedTable, type SeedTableOptions } from './seed-table';
export { SeedMembership, type SeedMembershipOptions } from './seed-membership';
export type { SeedLink, SeedRequest, SeedReplies, SeedMemberRow } from './seed-protocol';
export { ClusterUnavailableError } from './errors';
export { joinCluster, Cluster, type ClusterOptions, type ClusterEvents, type Member, type MembershipOption } from './cluster';
export type { ActivationRecord } from './activations';
export { CLUSTER_SCHEME } from './cluster-channel';
