import { describe, expect, it } from "vitest";
import { serviceAccountKeyJson } from "../../test/support/service-account-key.ts";
import { PUBSUB_CREDENTIALS_SECRET_KEY } from "./defaults.ts";
import { toSubscriptionSpec } from "./subscription-mapping.ts";

const body = (extra: Record<string, unknown> = {}) => ({
  channel: "pubsub",
  name: "pubsub1",
  segment_ids: ["1234abcd"],
  project_id: "my-project",
  topic: "segwatch-triggers",
  ...extra,
});

describe("toSubscriptionSpec: pubsub", () => {
  it("maps the brief's fields, keeping the key in the Secret", () => {
    const key = serviceAccountKeyJson();
    const m = toSubscriptionSpec(
      body({ credentials_json: key, ordering_key_field: "account_id" }),
      "pubsub1",
    );
    expect(m.problems).toEqual([]);
    expect(m.spec.pubsub).toEqual({
      projectId: "my-project",
      topic: "segwatch-triggers",
      orderingKeyField: "account_id",
      credentialsSecretRef: { name: expect.any(String), key: PUBSUB_CREDENTIALS_SECRET_KEY },
    });
    expect(m.secret).toEqual({ [PUBSUB_CREDENTIALS_SECRET_KEY]: key });
  });

  it("answers each mistake with the brief's field name", () => {
    const fields = (extra: Record<string, unknown>) =>
      toSubscriptionSpec(body(extra), "pubsub1").problems.map((p) => `${p.field}:${p.kind}`);
    expect(fields({ project_id: undefined })).toEqual(["project_id:Required"]);
    expect(fields({ topic: "x" })).toEqual(["topic:Invalid"]);
    expect(fields({ project_id: "Not_A_Project" })).toEqual(["project_id:Invalid"]);
    expect(fields({ ordering_key_field: "" })).toEqual(["ordering_key_field:Invalid"]);
    const creds = toSubscriptionSpec(body({ credentials_json: '{"type":"authorized_user"}' }), "p");
    expect(creds.problems).toEqual([
      {
        field: "credentials_json",
        kind: "Invalid",
        reason: expect.stringContaining('only a service-account key ("type": "service_account")'),
      },
    ]);
  });
});
