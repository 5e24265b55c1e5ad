import { describe, expect, it } from "vitest";
import { LeaderElector, type LeaseStore } from "./leader-election.ts";
import type { LeaseRecord } from "./lease-decisions.ts";

/** A Lease kept in memory with resourceVersion checks, as the API server keeps it. */
class MemoryLeaseStore implements LeaseStore {
  record: LeaseRecord | undefined;
  version = 0;
  async get() {
    return this.record ? { record: this.record, resourceVersion: String(this.version) } : undefined;
  }
  async create(record: LeaseRecord) {
    if (this.record) throw Object.assign(new Error("exists"), { code: 409 });
    this.record = record;
    this.version++;
  }
  async update(record: LeaseRecord, resourceVersion: string) {
    if (resourceVersion !== String(this.version))
      throw Object.assign(new Error("conflict"), { code: 409 });
    this.record = record;
    this.version++;
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error("timed out");
}

describe("LeaderElector", () => {
  it("hands the lease on when it cannot start leading, and tries again later", async () => {
    const store = new MemoryLeaseStore();
    let starts = 0;
    let stops = 0;
    const elector = new LeaderElector({
      store,
      identity: "a",
      settings: { retryPeriodMs: 20 },
      onStartedLeading: () => {
        starts++;
        if (starts === 1) throw new Error("NATS not reachable yet");
      },
      onStoppedLeading: () => {
        stops++;
      },
    });
    elector.start();
    try {
      await until(() => starts >= 1 && stops >= 1);
      // Released at once, not held by a replica that does not reconcile.
      expect(store.record?.holderIdentity === "" || starts >= 2).toBe(true);
      await until(() => starts >= 2 && elector.isLeader);
      expect(store.record?.holderIdentity).toBe("a");
    } finally {
      await elector.stop();
    }
    expect(store.record?.holderIdentity).toBe("");
  });
});
