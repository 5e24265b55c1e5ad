// The checks the controller added to the shared validation (src/resources/validation.ts).
import { describe, expect, it } from "vitest";
import type { SubscriptionSpec } from "../resources/types.ts";
import { validateSubscriptionSpec } from "../resources/validation.ts";

const paths = (spec: Partial<SubscriptionSpec>) =>
  validateSubscriptionSpec({
    channel: "webhook",
    segments: ["s"],
    webhook: { url: "https://example.com" },
    ...spec,
  } as SubscriptionSpec).map((e) => `${e.path}:${e.code}`);

describe("validateSubscriptionSpec (controller additions)", () => {
  it("requires name and key of the webhook's Secret references", () => {
    expect(
      paths({
        webhook: {
          url: "https://example.com",
          signingSecretRef: { name: "", key: "k" },
          segmentioWriteKeyRef: { name: "n" } as never,
        },
      }),
    ).toEqual([
      "spec.webhook.signingSecretRef.name:Required",
      "spec.webhook.segmentioWriteKeyRef.key:Required",
    ]);
  });

  it("checks the stream channels' Secret references", () => {
    expect(
      paths({
        channel: "eventhub",
        webhook: undefined,
        eventHub: { eventHubName: "h", connectionStringSecretRef: { name: "eh" } as never },
      }),
    ).toEqual(["spec.eventHub.connectionStringSecretRef.key:Required"]);
    expect(
      paths({
        channel: "kinesis",
        webhook: undefined,
        kinesis: { region: "us-east-1", stream: "s", credentialsSecretRef: {} as never },
      }),
    ).toEqual(["spec.kinesis.credentialsSecretRef.name:Required"]);
  });

  it("refuses a zero timeout and a maxBackoff shorter than initialBackoff", () => {
    expect(paths({ delivery: { timeout: "0" } })).toEqual(["spec.delivery.timeout:Invalid"]);
    expect(paths({ delivery: { initialBackoff: "10s", maxBackoff: "1s" } })).toEqual([
      "spec.delivery.maxBackoff:Invalid",
    ]);
    expect(paths({ delivery: { initialBackoff: "1s", maxBackoff: "10m" } })).toEqual([]);
  });
});
