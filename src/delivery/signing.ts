// Standard Webhooks signatures (https://www.standardwebhooks.com, spec v1): every request carries
// webhook-id (the message's idempotency key, so a receiver dedupes retries), webhook-timestamp (Unix
// seconds, so it can refuse replays) and webhook-signature, a space-separated list of
// "v1,<base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`>" — one per secret, which is how a rotation
// works: while a subscription lists two secrets, receivers holding either one verify.
//
// Secrets:
// - "whsec_<base64>" (the spec's form): the key is the base64-decoded bytes. Receivers use it as is:
//   `new Webhook("whsec_…").verify(body, headers)`.
// - anything else is a raw secret: the key is the string's UTF-8 bytes. Receivers verify with
//   `new Webhook(secret, { format: "raw" })` (standardwebhooks' raw format takes one byte per
//   character, the same for ASCII secrets — keep raw secrets ASCII).

import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { SigningSecretError } from "./errors.ts";

export const SECRET_PREFIX = "whsec_";
export const SIGNATURE_VERSION = "v1";

export const WEBHOOK_HEADER = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The HMAC key of a secret (see the file comment for the two forms). A KeyObject, because HMAC with
 * a KeyObject costs a fifth of HMAC with the same key as a Buffer (key preparation per call).
 */
export function decodeSigningSecret(secret: string): KeyObject {
  return createSecretKey(signingKeyBytes(secret));
}

/** The key bytes of a secret. */
export function signingKeyBytes(secret: string): Buffer {
  if (secret.startsWith(SECRET_PREFIX)) {
    const encoded = secret.slice(SECRET_PREFIX.length);
    // Buffer.from(…, "base64") skips characters it does not know; a typo must not become another key.
    if (!BASE64.test(encoded) || encoded.length % 4 === 1) {
      throw new SigningSecretError(`a "${SECRET_PREFIX}" secret must be followed by base64`);
    }
    const key = Buffer.from(encoded, "base64");
    if (key.length === 0) throw new SigningSecretError("the signing secret decodes to no bytes");
    return key;
  }
  if (secret.length === 0) throw new SigningSecretError("the signing secret is empty");
  return Buffer.from(secret, "utf8");
}

/** The webhook-signature value: one "v1,<base64>" per key, current key first. */
export function signatureHeader(
  keys: readonly KeyObject[],
  msgId: string,
  timestampSeconds: number,
  body: Uint8Array,
): string {
  const prefix = `${msgId}.${timestampSeconds}.`;
  let out = "";
  for (const key of keys) {
    const mac = createHmac("sha256", key).update(prefix).update(body).digest("base64");
    out = out === "" ? `${SIGNATURE_VERSION},${mac}` : `${out} ${SIGNATURE_VERSION},${mac}`;
  }
  return out;
}

/** The three Standard Webhooks headers for one attempt (the timestamp is the attempt's, not the event's). */
export function standardWebhookHeaders(
  keys: readonly KeyObject[],
  msgId: string,
  nowMs: number,
  body: Uint8Array,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1_000);
  const headers: Record<string, string> = {
    [WEBHOOK_HEADER.id]: msgId,
    [WEBHOOK_HEADER.timestamp]: String(timestamp),
  };
  if (keys.length > 0)
    headers[WEBHOOK_HEADER.signature] = signatureHeader(keys, msgId, timestamp, body);
  return headers;
}
