// The subscriptions' durable consumers against a real nats-server: created once by whoever comes
// first (controller or worker), converged when an older config made them, deleted without fuss.
import { type JetStreamManager, jetstreamManager, type PriorityPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deliveryConsumerConfig,
  ensureDeliveryConsumers,
} from "../../src/delivery/consumer-config.ts";
import { bootstrap } from "../../src/nats/bootstrap.ts";
import { connectNats } from "../../src/nats/connection.ts";
import { DELIVERIES_STREAM, deliveryConsumerName } from "../../src/nats/names.ts";
import { type NatsServer, startNatsServer } from "../harness/nats.ts";
import { newSubscriptionId } from "./delivery-support.ts";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats("delivery-consumers-test", { url: server.url });
  await bootstrap(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const info = (id: string, lane: "live" | "backfill") =>
  jsm.consumers.info(DELIVERIES_STREAM, deliveryConsumerName(id, lane));

describe("delivery consumers", () => {
  it("creates both lanes, and creating them again changes nothing", async () => {
    const id = newSubscriptionId();
    await ensureDeliveryConsumers(jsm, "webhook", id);
    const before = await info(id, "live");
    await Promise.all([
      ensureDeliveryConsumers(jsm, "webhook", id),
      ensureDeliveryConsumers(jsm, "webhook", id),
    ]);
    const after = await info(id, "live");
    expect(after.created).toBe(before.created);
    expect(after.config).toMatchObject({
      filter_subject: `segwatch.deliver.webhook.${id}.live`,
      ack_policy: "explicit",
      deliver_policy: "new",
      max_deliver: -1,
    });
    expect((await info(id, "backfill")).config.filter_subject).toBe(
      `segwatch.deliver.webhook.${id}.backfill`,
    );
  });

  it("converges a consumer an older config made with a pinned-client group", async () => {
    const id = newSubscriptionId();
    await jsm.consumers.add(DELIVERIES_STREAM, {
      ...deliveryConsumerConfig("webhook", id, "live"),
      max_ack_pending: 10,
      priority_groups: ["deliver"],
      priority_policy: "pinned_client" as PriorityPolicy,
      priority_timeout: 60_000_000_000,
      metadata: { "someone.else/key": "kept" },
    });
    const warnings: string[] = [];
    await ensureDeliveryConsumers(jsm, "webhook", id, (m) => warnings.push(m));
    const c = (await info(id, "live")).config;
    expect(warnings).toEqual([]);
    expect(c.priority_policy ?? "none").toBe("none");
    expect(c.priority_groups ?? []).toEqual([]);
    expect(c.max_ack_pending).toBe(deliveryConsumerConfig("webhook", id, "live").max_ack_pending);
    expect(c.metadata).toMatchObject({ "someone.else/key": "kept", "segwatch.io/lane": "live" });
  });
});
