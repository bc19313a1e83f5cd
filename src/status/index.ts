// The status room's door: leader election on a Lease and, while leader, Ingress status and Events.
// Importing it loads nothing of @kubernetes/client-node (type imports only); startStatus() loads the
// library, which cluster mode has loaded already.
export { startStatus, defaultIdentity, leaseName, servedIngresses, uidFromStore } from './start.ts';
export type { StartStatusOptions, StatusHandle, StatusSettings } from './start.ts';
export { DEFAULT_STATUS_TIMING, resolveStatusTiming, StatusTimingError } from './timing.ts';
export type { StatusTiming } from './timing.ts';
export { PublishConfigError, parsePublishAddress } from './publish-address.ts';
export type { LoadBalancerAddress } from './publish-address.ts';
export { eventIntent } from './event-recorder.ts';
export type { EventIntent, ObjectUidLookup } from './event-recorder.ts';
export type { StatusLog, StatusLogLevel } from './problem-log.ts';
