import { describe, expect, it } from "vitest";
import { serviceAccountKeyJson } from "../../test/support/service-account-key.ts";
import { PubSubCredentialsError, parseServiceAccountKey } from "./pubsub-credentials.ts";

describe("parseServiceAccountKey", () => {
  it("keeps what a service account signs with, and drops the rest", () => {
    const key = parseServiceAccountKey(
      serviceAccountKeyJson({ token_uri: "http://169.254.169.254/steal", universe_domain: "x" }),
    );
    expect(Object.keys(key).sort()).toEqual([
      "client_email",
      "private_key",
      "private_key_id",
      "project_id",
      "type",
    ]);
    expect(key.client_email).toBe("segwatch-test@segwatch-test.iam.gserviceaccount.com");
    expect(key.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("says what is wrong with anything else", () => {
    const bad: [string, RegExp][] = [
      ["{not json", /not JSON/],
      ["[]", /not a JSON object/],
      [serviceAccountKeyJson({ type: "external_account" }), /"external_account"; only a service/],
      [serviceAccountKeyJson({ type: undefined }), /of type null/],
      [serviceAccountKeyJson({ client_email: "" }), /no client_email/],
      [serviceAccountKeyJson({ private_key: undefined }), /no private_key/],
      [serviceAccountKeyJson({ private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n" }), /not a PEM/],
    ];
    for (const [json, reason] of bad) {
      expect(() => parseServiceAccountKey(json)).toThrow(PubSubCredentialsError);
      expect(() => parseServiceAccountKey(json)).toThrow(reason);
    }
  });
});
