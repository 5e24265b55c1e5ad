import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSigningSecret, signingSecretsFor } from "./signing-secret.ts";

const HOUR = 3_600_000;
const now = Date.parse("2026-03-01T12:00:00Z");
const webhook = (signingSecrets: string[], previousSigningSecretExpiresAt?: string) => ({
  url: "https://example.com",
  headers: {},
  signingSecrets,
  ...(previousSigningSecretExpiresAt ? { previousSigningSecretExpiresAt } : {}),
});

describe("generateSigningSecret", () => {
  it("is whsec_ + base64 of 24 random bytes, usable by Standard Webhooks libraries", () => {
    const s = generateSigningSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(s.slice(6), "base64")).toHaveLength(24);
    expect(generateSigningSecret()).not.toBe(s);
    const wh = new Webhook(s);
    const at = new Date();
    const headers = {
      "webhook-id": "m1",
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    };
    const signature = wh.sign("m1", at, "{}");
    expect(wh.verify("{}", { ...headers, "webhook-signature": signature })).toEqual({});
  });
});

describe("signingSecretsFor", () => {
  it("signs with the current secret alone at first", () => {
    expect(signingSecretsFor("s1", undefined, now, 24 * HOUR)).toEqual({ signingSecrets: ["s1"] });
    expect(signingSecretsFor("s1", webhook(["s1"]), now, 24 * HOUR)).toEqual({
      signingSecrets: ["s1"],
    });
  });

  it("keeps the previous secret second for the rotation window when the value changes", () => {
    const r = signingSecretsFor("s2", webhook(["s1"]), now, 24 * HOUR);
    expect(r).toEqual({
      signingSecrets: ["s2", "s1"],
      previousSigningSecretExpiresAt: new Date(now + 24 * HOUR).toISOString(),
      recheckAfterMs: 24 * HOUR,
    });
  });

  it("keeps both while the window is open and drops the old one after it", () => {
    const expires = new Date(now + HOUR).toISOString();
    expect(signingSecretsFor("s2", webhook(["s2", "s1"], expires), now, 24 * HOUR)).toEqual({
      signingSecrets: ["s2", "s1"],
      previousSigningSecretExpiresAt: expires,
      recheckAfterMs: HOUR,
    });
    expect(
      signingSecretsFor("s2", webhook(["s2", "s1"], expires), now + 2 * HOUR, 24 * HOUR),
    ).toEqual({ signingSecrets: ["s2"] });
  });

  it("starts a new window on a second rotation, keeping only the latest previous secret", () => {
    const expires = new Date(now + HOUR).toISOString();
    const r = signingSecretsFor("s3", webhook(["s2", "s1"], expires), now, 24 * HOUR);
    expect(r.signingSecrets).toEqual(["s3", "s2"]);
  });
});
