// The delivery workers the controller keeps running per channel, where it runs them at all: on a
// cluster, one Deployment per channel (kube-workloads.ts); `segwatch dev` runs its worker in-process
// and passes none.

import type { Channel } from "../resources/types.ts";

export interface ChannelWorkloads {
  /** Brings every channel's workers in line with its count of live subscriptions. */
  sync(subscriptionsPerChannel: ReadonlyMap<Channel, number>): Promise<void>;
}
