// The generic KV lease against a real nats-server, from the holder's side: it names itself to
// standbys, and when it is cut off from NATS — its connection closed, or silently black-holed so
// that its renewal hangs — it reports the loss before any standby can take over.
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
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

  it("stops itself while its renewal hangs (NATS unreachable without an error), before a takeover", async () => {
    const key = "leases.test.blackhole";
    const hole = await blackHoleProxy(server.port);
    const cut = await connectNats("kv-lease-hole", { url: `nats://127.0.0.1:${hole.port}` });
    try {
      const order: string[] = [];
      const a = new KvLease(
        (await bootstrap(cut)).status,
        key,
        "holder-a",
        { lost: (reason) => order.push(`a lost: ${reason}`) },
        timing,
      );
      const b = new KvLease(buckets.status, key, "standby-b", { lost: () => {} }, timing);
      expect(await a.acquire()).toBe(true);
      const bHolds = b.acquire().then((got) => order.push(`b holds: ${got}`));
      // Nothing reaches the server any more, and no error comes back until a request times out.
      hole.swallow();
      await withDeadline("b takes over", bHolds);
      expect(order).toEqual(["a lost: not renewable: no answer to the renewal", "b holds: true"]);
      await b.release();
      a.close();
      b.close();
    } finally {
      await cut.close().catch(() => {});
      await hole.close();
    }
  });
});

/** A TCP relay to the server that can start swallowing everything both ways, connections open. */
async function blackHoleProxy(
  upstreamPort: number,
): Promise<{ port: number; swallow(): void; close(): Promise<void> }> {
  let swallowing = false;
  const sockets: Socket[] = [];
  const relay = (from: Socket, to: Socket) =>
    from.on("data", (chunk) => {
      if (!swallowing) to.write(chunk);
    });
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(upstreamPort, "127.0.0.1");
    sockets.push(client, upstream);
    relay(client, upstream);
    relay(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as { port: number }).port,
    swallow: () => {
      swallowing = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}
