// One active delivery worker per channel pool: the pool's lease (nats/lease.ts) in KV
// segwatch-status, renewed by the active worker and waited for by the others. Per-user order needs a
// single reader per subscription lane. The server's own pinned-client groups do not serve here,
// because a standby's waiting pull makes the server rotate redeliveries to the back of its queue —
// exactly at a handover, when order matters most.

import type { KV } from "@nats-io/kv";
import { KvLease, type LeaseEvents, type LeaseTiming } from "../nats/lease.ts";
import { LEASE_DEFAULTS } from "./defaults.ts";

/** The lease key of a channel's worker pool in KV segwatch-status. */
export function deliveryLeaseKey(pool: string): string {
  return `leases.deliver.${pool}`;
}

/** A pool's lease with the delivery worker's timing defaults. */
export class DeliveryLease extends KvLease {
  constructor(
    kv: KV,
    key: string,
    owner: string,
    events: LeaseEvents,
    timing: Partial<LeaseTiming> = {},
  ) {
    super(kv, key, owner, events, { ...LEASE_DEFAULTS, ...timing });
  }
}
