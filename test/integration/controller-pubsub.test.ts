// The controller with Pub/Sub subscriptions, against a real nats-server and a folder of manifests:
// Ready once registered (the channel has a worker), the key read from its Secret into the record,
// unusable settings reported with a reason naming the field or the Secret.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionRecord } from "../../src/controller/records.ts";
import { serviceAccountKeyJson } from "../support/service-account-key.ts";
import {
  condition,
  type Env,
  registryKey,
  secretYaml,
  startEnvWithSegment,
  subscriptionYaml,
  untilSubscriptionCondition,
} from "./controller-helpers.ts";

const pubsubYaml = (name: string, pubsub: string) =>
  subscriptionYaml(name, "pubsub", `  segments: [demo_segment]\n  pubsub: ${pubsub}\n`);

describe("controller: pubsub subscriptions", () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnvWithSegment('FILTER paying_user = "t" FROM user ALIAS demo_segment');
  });

  afterAll(async () => {
    await env?.close();
  });

  it("is Ready, with the service-account key from its Secret in the record", async () => {
    const key = serviceAccountKeyJson();
    env.write("gcp.yaml", secretYaml("gcp", { "credentials.json": key }));
    env.write(
      "to-pubsub.yaml",
      pubsubYaml(
        "to-pubsub",
        "{projectId: my-project, topic: segwatch-triggers, orderingKeyField: account_id, credentialsSecretRef: {name: gcp, key: credentials.json}}",
      ),
    );
    const sub = await env.ready("Subscription", "to-pubsub", "True");
    expect(condition(sub, "DeliveryReady")).toMatchObject({ status: "True" });
    const id = sub.status!.id!;
    const record = await env.registry<SubscriptionRecord>(registryKey.subscription("acme", id));
    expect(record?.channel).toBe("pubsub");
    expect(record?.pubsub).toEqual({
      projectId: "my-project",
      topic: "segwatch-triggers",
      orderingKeyField: "account_id",
      credentials: key,
    });
    expect(await env.consumerExists(id, "live")).toBe(true);

    // The key is replaced by something unusable: reported on the resource.
    env.write("gcp.yaml", secretYaml("gcp", { "credentials.json": "not a key" }));
    const broken = await untilSubscriptionCondition(
      env,
      "InvalidSecret is reported",
      "to-pubsub",
      "DeliveryReady",
      "InvalidSecret",
    );
    expect(condition(broken, "DeliveryReady")!.message).toContain(
      "the Pub/Sub credentials (Secret gcp, key credentials.json) are unusable: the credentials are not JSON",
    );
    expect(condition(broken, "Ready")).toMatchObject({ status: "False" });
    env.remove("to-pubsub.yaml");
  });

  it("reports an invalid topic, naming the field", async () => {
    env.write("bad-topic.yaml", pubsubYaml("bad-topic", "{projectId: my-project, topic: x}"));
    const sub = await env.ready("Subscription", "bad-topic", "False");
    const ready = condition(sub, "Ready")!;
    expect(ready.reason).toBe("InvalidSpec");
    expect(ready.message).toContain('spec.pubsub.topic: "x" is not a Pub/Sub topic id');
    env.remove("bad-topic.yaml");
  });
});
