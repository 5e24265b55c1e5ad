// The active-worker lease against a real nats-server: one holder at a time, prompt handover on
// release, takeover after the TTL when the holder goes silent, and a holder that learns it lost it.
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryLease, deliveryLeaseKey } from "../../src/delivery/lease.ts";
import { type Buckets, bootstrap } from "../../src/nats/bootstrap.ts";
import { connectNats } from "../../src/nats/connection.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { until, withDeadline } from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats("delivery-lease-test", { url: server.url });
  buckets = await bootstrap(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const timing = { ttlMs: 600, renewMs: 100, pollMs: 20 };
let n = 0;

function pair() {
  const key = deliveryLeaseKey(`test${++n}`);
  const lost: string[] = [];
  const make = (owner: string) =>
    new DeliveryLease(
      buckets.status,
      key,
      owner,
      { lost: (r) => lost.push(`${owner}: ${r}`) },
      timing,
    );
  return { a: make("a"), b: make("b"), lost, key };
}

describe("delivery lease", () => {
  it("has one holder; a release hands it over", async () => {
    const { a, b } = pair();
    expect(await a.acquire()).toBe(true);
    let bHolds = false;
    const bWaits = b.acquire().then((got) => {
      bHolds = got;
    });
    // Renewed, so never expired: b keeps waiting while a holds it.
    await new Promise((r) => setTimeout(r, timing.ttlMs * 2));
    expect(bHolds).toBe(false);
    await a.release();
    await withDeadline("b takes over", bWaits);
    expect(bHolds).toBe(true);
    expect(a.held).toBe(false);
    b.close();
    a.close();
  });

  it("is taken over once the holder stops renewing for the TTL", async () => {
    const { a, b } = pair();
    expect(await a.acquire()).toBe(true);
    a.abandon();
    expect(await withDeadline("takeover after the TTL", b.acquire())).toBe(true);
    b.close();
    a.close();
  });

  it("reports a loss when someone else took it", async () => {
    const { a, lost, key } = pair();
    expect(await a.acquire()).toBe(true);
    // Another party overwrites the lease (as a standby does after the TTL).
    await buckets.status.put(key, JSON.stringify({ owner: "intruder" }));
    await until("a notices", () => lost.length > 0);
    expect(lost[0]).toBe("a: taken over");
    expect(a.held).toBe(false);
    a.close();
  });

  it("stops waiting when cancelled", async () => {
    const { a, b } = pair();
    expect(await a.acquire()).toBe(true);
    const waiting = b.acquire();
    b.cancel();
    expect(await withDeadline("cancelled", waiting)).toBe(false);
    a.close();
  });
});
