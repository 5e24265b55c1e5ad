// Dead letters replayed once the receiver is fixed: same body, same webhook-id, removed from the DLQ,
// and a second replay finds nothing. Real nats-server, real webhook worker, a local receiver.
import { type JetStreamManager, jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDlqList, runDlqReplay } from "../../src/cli/dlq.ts";
import { DeadLetterQueue } from "../../src/delivery/dead-letters.ts";
import { createDeliveryChannel } from "../../src/delivery/run.ts";
import type { Buckets } from "../../src/nats/bootstrap.ts";
import { registryKey } from "../../src/nats/names.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import {
  connectSession,
  deadLetterCount,
  interleaved,
  laneDrained,
  NAMESPACE,
  newSubscriptionId,
  publishDeliveries,
  putRecord,
  readStats,
  startReceiver,
  startTestWorker,
  subscriptionRecord,
  until,
} from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let buckets: Buckets;
let dlq: DeadLetterQueue;

beforeAll(async () => {
  server = await startNatsServer();
  ({ nc, buckets, jsm } = await connectSession("delivery-dlq-replay-test", server.url));
  dlq = new DeadLetterQueue({ jsm, js: jetstream(nc), registry: buckets.registry });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe("dead-letter replay", () => {
  it("replays dead letters under their idempotency key once the receiver accepts them", async () => {
    let accepting = false;
    const r = await startReceiver(() => (accepting ? { status: 200 } : { status: 410 }));
    const channel = createDeliveryChannel("webhook", {
      webhook: { targetPolicy: { allowLoopback: true } },
    });
    const w = await startTestWorker({ nc, buckets, channel });
    try {
      const id = newSubscriptionId();
      const other = newSubscriptionId();
      await putRecord(jsm, buckets.registry, subscriptionRecord(id, `${r.url}/hook`));
      await putRecord(jsm, buckets.registry, subscriptionRecord(other, `${r.url}/other`));
      await w.whenConsuming(id);
      await w.whenConsuming(other);
      const sent = await publishDeliveries(nc, id, interleaved(2, 2));
      await publishDeliveries(nc, other, interleaved(1, 1));
      await until("4 + 1 dead letters", async () => {
        return (await deadLetterCount(jsm, id)) === 4 && (await deadLetterCount(jsm, other)) === 1;
      });
      const refusedIds = r.requests.map((q) => q.headers["webhook-id"]);

      const listed = [];
      for await (const e of dlq.list({ subscriptionId: id })) listed.push(e);
      expect(listed).toHaveLength(4);
      expect(listed.every((e) => e.ok)).toBe(true);
      const first = listed[0]!;
      if (!first.ok) throw new Error("unreadable dead letter");
      expect(first.deadLetter).toMatchObject({
        channel: "webhook",
        subscriptionId: id,
        namespace: NAMESPACE,
        lane: "live",
        attempts: 1,
        error: expect.stringContaining("410"),
      });
      expect(sent.map((s) => s.msgId)).toContain(first.deadLetter.idempotencyKey);

      accepting = true;
      r.requests.length = 0;
      expect(await dlq.replay({ subscriptionId: id })).toEqual({ replayed: 4, skipped: [] });
      await until("4 replays delivered", () => r.requests.length >= 4);
      await until("lane drained", () => laneDrained(jsm, id));
      // Same bodies, same webhook-ids as the refused attempts; every user's messages in order.
      expect(r.requests.map((q) => q.body).sort()).toEqual(sent.map((s) => s.body).sort());
      expect(r.requests.map((q) => q.headers["webhook-id"]).sort()).toEqual(
        refusedIds.filter((x) => sent.some((s) => s.msgId === x)).sort(),
      );
      expect(await deadLetterCount(jsm, id)).toBe(0);
      // The other subscription's dead letter was not touched.
      expect(await deadLetterCount(jsm, other)).toBe(1);
      await until(
        "delivered counted",
        async () => (await readStats(buckets.status, id))?.delivered === 4,
      );

      // Nothing left: a second replay is a no-op.
      expect(await dlq.replay({ subscriptionId: id })).toEqual({ replayed: 0, skipped: [] });

      // The CLI's view of the same queue.
      const lines: string[] = [];
      const cli = {
        nats: { url: server.url },
        filter: { subscriptionId: other },
        out: (l: string) => lines.push(l),
      };
      expect(await runDlqList(cli)).toBe(1);
      expect(lines[0]).toMatch(/^SEQ\tTIME\tSUBSCRIPTION/);
      expect(lines[1]).toContain(`\t${other}\twebhook\t`);
      expect(lines[1]).toContain("410");
      expect(lines.at(-1)).toBe("1 dead letter");

      // A deleted subscription's dead letters stay, with the reason.
      await buckets.registry.delete(registryKey.subscription(NAMESPACE, other));
      const left = await dlq.replay({ subscriptionId: other });
      expect(left.replayed).toBe(0);
      expect(left.skipped).toEqual([
        { seq: expect.any(Number), reason: `subscription ${other} no longer exists` },
      ]);
      expect(await deadLetterCount(jsm, other)).toBe(1);
      lines.length = 0;
      expect(await runDlqReplay(cli)).toBe(0);
      expect(lines).toEqual([
        "replayed 0, left 1",
        expect.stringMatching(new RegExp(`^  \\d+: subscription ${other} no longer exists$`)),
      ]);
    } finally {
      await w.stopAll();
      await r.close();
    }
  });

  it("honours the limit and refuses a filter that is not a subject token", async () => {
    await expect(async () => {
      for await (const _ of dlq.list({ subscriptionId: "a.b" })) break;
    }).rejects.toThrow(/invalid subscription id "a.b"/);
    const none = [];
    for await (const e of dlq.list({ subscriptionId: newSubscriptionId(), limit: 5 })) none.push(e);
    expect(none).toEqual([]);
  });
});
