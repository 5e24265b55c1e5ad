import { describe, expect, it } from "vitest";
import type { KinesisRecord } from "../controller/records.ts";
import { identityKey, KinesisClients } from "./kinesis-clients.ts";

const base: KinesisRecord = {
  region: "us-east-1",
  stream: "s",
  credentials: { accessKeyId: "AK", secretAccessKey: "SK" },
};

describe("KinesisClients", () => {
  it("shares one client per region, endpoint and credentials identity", () => {
    let now = 0;
    const clients = new KinesisClients({
      connectTimeoutMs: 1_000,
      idleMs: 60_000,
      roleSessionName: "t",
      assumeRoleDurationSeconds: 900,
      stsRequestTimeoutMs: 1_000,
      now: () => now,
    });
    try {
      const a = clients.get(base);
      // Another stream and identifier field: same client.
      expect(clients.get({ ...base, stream: "other", identifierField: "x" })).toBe(a);
      expect(clients.size).toBe(1);
      const others = [
        { ...base, region: "eu-west-1" },
        { ...base, endpoint: "http://127.0.0.1:1" },
        { ...base, credentials: { accessKeyId: "AK", secretAccessKey: "rotated" } },
        { ...base, roleArn: "arn:aws:iam::1:role/r" },
        { ...base, roleArn: "arn:aws:iam::1:role/r", externalId: "e" },
        { region: "us-east-1", stream: "s" },
      ];
      for (const o of others) expect(clients.get(o)).not.toBe(a);
      expect(clients.size).toBe(7);
      // Unused past the idle time: closed on the next look-up, and made anew when needed again.
      now = 60_001;
      clients.get(base);
      expect(clients.size).toBe(1);
    } finally {
      clients.close();
    }
    expect(clients.size).toBe(0);
  });

  it("keeps secrets out of the identity key", () => {
    const key = identityKey({
      ...base,
      credentials: { accessKeyId: "AK", secretAccessKey: "very-secret", sessionToken: "tok" },
    });
    expect(key).toContain("AK");
    expect(key).not.toContain("very-secret");
    expect(key).not.toContain("tok");
  });
});
