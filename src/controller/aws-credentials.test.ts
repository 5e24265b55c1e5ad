import { describe, expect, it } from "vitest";
import { awsCredentialsFromSecret } from "./aws-credentials.ts";

describe("awsCredentialsFromSecret", () => {
  it("reads the AWS environment names, the session token optional", () => {
    expect(
      awsCredentialsFromSecret({ AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" }),
    ).toEqual({ ok: true, credentials: { accessKeyId: "AK", secretAccessKey: "SK" } });
    expect(
      awsCredentialsFromSecret({
        AWS_ACCESS_KEY_ID: " AK\n",
        AWS_SECRET_ACCESS_KEY: "SK",
        AWS_SESSION_TOKEN: "T",
      }),
    ).toEqual({
      ok: true,
      credentials: { accessKeyId: "AK", secretAccessKey: "SK", sessionToken: "T" },
    });
  });

  it("names the keys that are missing or empty", () => {
    const r = awsCredentialsFromSecret({ AWS_ACCESS_KEY_ID: "", accessKeyId: "AK" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(
      "needs non-empty keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (optional AWS_SESSION_TOKEN)",
    );
    const s = awsCredentialsFromSecret({ AWS_ACCESS_KEY_ID: "AK" });
    expect(!s.ok && s.reason).toContain("keys AWS_SECRET_ACCESS_KEY (");
  });
});
