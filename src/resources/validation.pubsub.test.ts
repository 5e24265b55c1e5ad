import { describe, expect, it } from "vitest";
import type { SubscriptionSpec } from "./types.ts";
import { validateSubscriptionSpec } from "./validation.ts";

const pubsub = (p: Partial<NonNullable<SubscriptionSpec["pubsub"]>>): SubscriptionSpec => ({
  channel: "pubsub",
  segments: ["demo_segment"],
  pubsub: { projectId: "my-project", topic: "triggers", ...p },
});
const errors = (spec: SubscriptionSpec) =>
  validateSubscriptionSpec(spec).map((e) => `${e.path}:${e.code}: ${e.reason}`);

describe("validateSubscriptionSpec: pubsub", () => {
  it("accepts a topic id, a full topic name, credentials and an ordering key field", () => {
    expect(errors(pubsub({}))).toEqual([]);
    expect(
      errors(
        pubsub({
          topic: "projects/other-project/topics/triggers",
          credentialsSecretRef: { name: "gcp", key: "credentials.json" },
          orderingKeyField: "account_id",
        }),
      ),
    ).toEqual([]);
  });

  it("names the field and the reason for each mistake", () => {
    expect(errors(pubsub({ projectId: "", topic: "" }))).toEqual([
      "spec.pubsub.projectId:Required: the Google Cloud project is required",
      "spec.pubsub.topic:Required: the Pub/Sub topic is required",
    ]);
    expect(errors(pubsub({ projectId: "My Project" }))).toEqual([
      'spec.pubsub.projectId:Invalid: "My Project" is not a Google Cloud project id: 6 to 30 lowercase letters, digits and "-", starting with a letter',
    ]);
    expect(errors(pubsub({ topic: "goog-topic" }))).toEqual([
      'spec.pubsub.topic:Invalid: a topic id must not start with "goog"',
    ]);
    expect(errors(pubsub({ orderingKeyField: " " }))).toEqual([
      "spec.pubsub.orderingKeyField:Invalid: must be a profile field name when given",
    ]);
    expect(errors(pubsub({ credentialsSecretRef: { name: "gcp", key: "" } }))).toEqual([
      expect.stringMatching(/^spec\.pubsub\.credentialsSecretRef\.key:/),
    ]);
  });
});
