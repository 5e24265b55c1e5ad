import { createHmac } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { SigningSecretError } from "./errors.ts";
import {
  decodeSigningSecret,
  SigningKey,
  signatureHeader,
  signingKeyBytes,
  standardWebhookHeaders,
  WEBHOOK_HEADER,
} from "./signing.ts";

const body = JSON.stringify({
  data: { user_id: "user123", segment_events: [{ id: "s1", event: "enter", slug: "é-ü" }] },
  meta: { object: "user", source: "subscription", subscription_id: "7e2b" },
});
const bytes = Buffer.from(body, "utf8");
// The example secret of the Standard Webhooks spec.
const specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("decodeSigningSecret", () => {
  it("base64-decodes whsec_ secrets", () => {
    expect(signingKeyBytes(specSecret)).toEqual(
      Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64"),
    );
    const key = signingKeyBytes(specSecret);
    expect(decodeSigningSecret(specSecret).sign("a.", bytes)).toBe(
      createHmac("sha256", key).update("a.").update(bytes).digest("base64"),
    );
  });

  it("takes a raw secret's UTF-8 bytes", () => {
    expect(signingKeyBytes("my shared secret")).toEqual(Buffer.from("my shared secret"));
  });

  it("refuses empty and malformed secrets", () => {
    expect(() => decodeSigningSecret("")).toThrow(SigningSecretError);
    expect(() => decodeSigningSecret("whsec_")).toThrow(SigningSecretError);
    expect(() => decodeSigningSecret("whsec_not*base64!")).toThrow(SigningSecretError);
    expect(() => decodeSigningSecret("whsec_abcde")).toThrow(SigningSecretError);
  });
});

describe("SigningKey", () => {
  it("is HMAC-SHA256: keys shorter and longer than a block, any message, the same key reused", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200, size: "max" }),
        fc.array(
          fc.tuple(
            fc.string({ unit: "grapheme", maxLength: 40 }),
            fc.oneof(
              fc.uint8Array({ maxLength: 3000, size: "max" }),
              fc.integer({ min: 60_000, max: 140_000 }).map((n) => new Uint8Array(n).fill(n % 251)),
            ),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (key, messages) => {
          const signing = new SigningKey(key);
          for (const [prefix, body] of messages) {
            const want = createHmac("sha256", Buffer.from(key))
              .update(prefix)
              .update(body)
              .digest("base64");
            expect(signing.sign(prefix, body)).toBe(want);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("standardWebhookHeaders", () => {
  const now = Date.now();

  it("is accepted by the standardwebhooks package (whsec_ secret)", () => {
    const h = standardWebhookHeaders([decodeSigningSecret(specSecret)], "msg_abc", now, bytes);
    expect(h[WEBHOOK_HEADER.id]).toBe("msg_abc");
    expect(h[WEBHOOK_HEADER.timestamp]).toBe(String(Math.floor(now / 1000)));
    expect(new Webhook(specSecret).verify(body, h)).toEqual(JSON.parse(body));
  });

  it("is accepted for a raw secret with format: raw", () => {
    const raw = "a raw shared secret";
    const h = standardWebhookHeaders([decodeSigningSecret(raw)], "id-1", now, bytes);
    expect(new Webhook(raw, { format: "raw" }).verify(body, h)).toEqual(JSON.parse(body));
  });

  it("signs with every secret during a rotation, so either verifies", () => {
    const next = `whsec_${Buffer.from("the next secret, 24+ bytes long").toString("base64")}`;
    const h = standardWebhookHeaders(
      [decodeSigningSecret(next), decodeSigningSecret(specSecret)],
      "id-2",
      now,
      bytes,
    );
    expect(h[WEBHOOK_HEADER.signature]!.split(" ")).toHaveLength(2);
    expect(h[WEBHOOK_HEADER.signature]).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
    expect(() => new Webhook(next).verify(body, h)).not.toThrow();
    expect(() => new Webhook(specSecret).verify(body, h)).not.toThrow();
    expect(() => new Webhook("whsec_b3RoZXIgc2VjcmV0").verify(body, h)).toThrow(
      /No matching signature/,
    );
  });

  it("fails verification when the body changed", () => {
    const h = standardWebhookHeaders([decodeSigningSecret(specSecret)], "id-3", now, bytes);
    expect(() => new Webhook(specSecret).verify(`${body} `, h)).toThrow();
  });

  it("omits the signature without secrets", () => {
    const h = standardWebhookHeaders([], "id-4", now, bytes);
    expect(Object.keys(h).sort()).toEqual([WEBHOOK_HEADER.id, WEBHOOK_HEADER.timestamp]);
  });
});

describe("signatureHeader", () => {
  it("matches the spec's signing of id.timestamp.body", () => {
    const key = decodeSigningSecret(specSecret);
    const sig = signatureHeader(
      [key],
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      Buffer.from('{"test": 2432232314}'),
    );
    // From the Standard Webhooks reference test vectors.
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});
