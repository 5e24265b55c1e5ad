// The controller with Event Hubs subscriptions: Ready once the connection string's Secret is usable,
// registered with a typed record for the worker; a clear False condition when it is not.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord } from "../../src/controller/records.ts";
import {
  condition,
  type Env,
  registryKey,
  secretYaml,
  startEnvWithSegment,
  subscriptionYaml,
  untilSubscriptionCondition,
} from "./controller-helpers.ts";

const CS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=";

const eventHubYaml = (name: string, eventHub: string) =>
  subscriptionYaml(name, "eventhub", `  segments: [demo-segment]\n  eventHub: ${eventHub}\n`);

describe("controller: event hub subscriptions", () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnvWithSegment('FILTER paying_user = "t" ALIAS demo_segment');
  });

  afterAll(async () => {
    await env?.close();
  });

  it("becomes Ready and registers the resolved settings", async () => {
    env.write(
      "hub-secret.yaml",
      secretYaml("hub", { cs: CS, scoped: `${CS};EntityPath=triggers` }),
    );
    env.write(
      "to-hub.yaml",
      eventHubYaml(
        "to-hub",
        "{eventHubName: triggers, connectionStringSecretRef: {name: hub, key: cs}, partitionKeyField: email}",
      ),
    );
    env.write(
      "to-scoped.yaml",
      eventHubYaml("to-scoped", "{connectionStringSecretRef: {name: hub, key: scoped}}"),
    );
    const sub = await env.ready("Subscription", "to-hub");
    expect(condition(sub, "DeliveryReady")).toMatchObject({
      status: "True",
      reason: "DeliveryConfigured",
    });
    const record = await env.registry<SubscriptionRecord>(
      registryKey.subscription("acme", sub.status!.id!),
    );
    expect(record).toMatchObject({
      channel: "eventhub",
      eventHub: { connectionString: CS, eventHubName: "triggers", partitionKeyField: "email" },
    });
    expect(await env.consumerExists(sub.status!.id!, "live")).toBe(true);
    // Without a hub name of its own, the connection string's EntityPath names the hub.
    const scoped = await env.ready("Subscription", "to-scoped");
    expect(
      (await env.registry<SubscriptionRecord>(registryKey.subscription("acme", scoped.status!.id!)))
        ?.eventHub,
    ).toEqual({ connectionString: `${CS};EntityPath=triggers` });
  });

  it("reports an unusable connection string on the resource, naming the field", async () => {
    env.write("bad-secret.yaml", secretYaml("bad-hub", { cs: `${CS};EntityPath=other` }));
    env.write(
      "mismatch.yaml",
      eventHubYaml(
        "mismatch",
        "{eventHubName: triggers, connectionStringSecretRef: {name: bad-hub, key: cs}}",
      ),
    );
    const sub = await untilSubscriptionCondition(
      env,
      "InvalidSecret is reported",
      "mismatch",
      "DeliveryReady",
      "InvalidSecret",
    );
    expect(condition(sub, "DeliveryReady")).toMatchObject({ status: "False" });
    expect(condition(sub, "DeliveryReady")!.message).toBe(
      'spec.eventHub.eventHubName: the event hub name "triggers" does not match the connection string\'s EntityPath "other"',
    );
    expect(condition(sub, "Ready")).toMatchObject({ status: "False" });
  });
});
