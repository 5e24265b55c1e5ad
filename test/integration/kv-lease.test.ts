// The generic KV lease against a real nats-server, from the holder's side: it names itself to
// standbys, and when it is cut off from NATS it reports the loss before any standby can take over.
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Buckets, bootstrap } from "../../src/nats/bootstrap.ts";
import { connectNats } from "../../src/nats/connection.ts";
import { KvLease } from "../../src/nats/lease.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { withDeadline } from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let buckets: Buckets;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats("kv-lease-test", { url: server.url });
  buckets = await bootstrap(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const timing = { ttlMs: 800, renewMs: 200, pollMs: 20 };

describe("KV lease holder", () => {
  it("is named to a standby, and stops itself before the standby takes over when cut off", async () => {
    const key = "leases.test.cutoff";
    const cut = await connectNats("kv-lease-cut", { url: server.url });
    const cutBuckets = await bootstrap(cut);
    const order: string[] = [];
    const a = new KvLease(
      cutBuckets.status,
      key,
      "holder-a",
      { lost: (reason) => order.push(`a lost: ${reason}`) },
      timing,
    );
    const b = new KvLease(
      buckets.status,
      key,
      "standby-b",
      {
        lost: () => order.push("b lost"),
        waiting: (owner) => order.push(`b waits for ${owner}`),
      },
      timing,
    );
    expect(await a.acquire()).toBe(true);
    expect(a.checkValid()).toBe(true);
    const bHolds = b.acquire().then((got) => order.push(`b holds: ${got}`));
    // Renewed, so b keeps waiting across several TTLs.
    await new Promise((r) => setTimeout(r, timing.ttlMs * 2));
    expect(order).toEqual(["b waits for holder-a"]);
    await cut.close();
    await withDeadline("b takes over", bHolds);
    expect(order).toHaveLength(3);
    expect(order[1]).toMatch(/^a lost: not renewable: .*closed/i);
    expect(order[2]).toBe("b holds: true");
    expect(a.held).toBe(false);
    expect(a.checkValid()).toBe(false);
    await b.release();
    a.close();
    b.close();
  });
});
