import { describe, expect, it } from "vitest";
import {
  decideLease,
  type LeaseRecord,
  observe,
  releasedLease,
  renewDeadlinePassed,
} from "./lease-decisions.ts";

const T0 = new Date("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const held = (holder: string): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: "2025-12-31T23:59:00.000Z",
  renewTime: "2025-12-31T23:59:59.000Z",
  leaseTransitions: 3,
});

describe("decideLease", () => {
  it("creates a missing Lease, holding it", () => {
    const d = decideLease({
      record: undefined,
      observation: undefined,
      identity: "a",
      leaseDurationMs: 15_000,
      now: T0,
    });
    expect(d).toEqual({
      action: "create",
      record: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: T0.toISOString(),
        renewTime: T0.toISOString(),
        leaseTransitions: 0,
      },
    });
  });

  it("renews its own lease, keeping acquireTime and the transition count", () => {
    const d = decideLease({
      record: held("a"),
      observation: undefined,
      identity: "a",
      leaseDurationMs: 15_000,
      now: T0,
    });
    expect(d).toMatchObject({
      action: "update",
      acquired: false,
      record: {
        holderIdentity: "a",
        acquireTime: "2025-12-31T23:59:00.000Z",
        renewTime: T0.toISOString(),
        leaseTransitions: 3,
      },
    });
  });

  it("waits while another holder's lease has not expired on its own clock", () => {
    const record = held("b");
    const observation = observe(undefined, record, T0.getTime());
    const d = decideLease({
      record,
      observation,
      identity: "a",
      leaseDurationMs: 15_000,
      now: at(14_000),
    });
    expect(d).toEqual({ action: "wait", holder: "b", expiresInMs: 1_000 });
  });

  it("takes over an expired lease, counting the transition", () => {
    const record = held("b");
    const observation = observe(undefined, record, T0.getTime());
    const d = decideLease({
      record,
      observation,
      identity: "a",
      leaseDurationMs: 15_000,
      now: at(15_000),
    });
    expect(d).toMatchObject({
      action: "update",
      acquired: true,
      record: { holderIdentity: "a", leaseTransitions: 4, acquireTime: at(15_000).toISOString() },
    });
  });

  it("judges expiry from when the record last changed, not from renewTime", () => {
    // renewTime is far in the past (another clock), but the record changed just now: wait.
    const record = { ...held("b"), renewTime: "2000-01-01T00:00:00.000Z" };
    const observation = observe(undefined, record, at(10_000).getTime());
    const d = decideLease({
      record,
      observation,
      identity: "a",
      leaseDurationMs: 15_000,
      now: at(11_000),
    });
    expect(d.action).toBe("wait");
  });

  it("takes a released lease at once", () => {
    const record = releasedLease(held("b"), T0);
    const d = decideLease({
      record,
      observation: observe(undefined, record, T0.getTime()),
      identity: "a",
      leaseDurationMs: 15_000,
      now: T0,
    });
    expect(d).toMatchObject({ action: "update", acquired: true, record: { holderIdentity: "a" } });
  });
});

describe("observe", () => {
  it("keeps the first sighting while the record stays the same, and restarts on a change", () => {
    const r = held("b");
    const o1 = observe(undefined, r, 1);
    expect(observe(o1, { ...r }, 5)).toBe(o1);
    expect(observe(o1, { ...r, renewTime: "2026-01-01T00:00:01.000Z" }, 5).observedAt).toBe(5);
  });
});

describe("releasedLease", () => {
  it("empties the holder and shortens the duration", () => {
    expect(releasedLease(held("a"), T0)).toMatchObject({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      leaseTransitions: 3,
    });
  });
});

describe("renewDeadlinePassed", () => {
  it("is true once the deadline has passed since the last renewal", () => {
    expect(renewDeadlinePassed(0, 9_999, 10_000)).toBe(false);
    expect(renewDeadlinePassed(0, 10_000, 10_000)).toBe(true);
  });
});
