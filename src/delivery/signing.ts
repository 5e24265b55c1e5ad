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

import { hash } from "node:crypto";
import { SigningSecretError } from "./errors.ts";

export const SECRET_PREFIX = "whsec_";
export const SIGNATURE_VERSION = "v1";

export const WEBHOOK_HEADER = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a secret (see the file comment for the two forms). */
export function decodeSigningSecret(secret: string): SigningKey {
  return new SigningKey(signingKeyBytes(secret));
}

const SHA256_BLOCK = 64;
const SHA256_BYTES = 32;
/** The largest signing buffer a key keeps between signatures. */
const MAX_KEPT_BUFFER = 64 * 1024;

/**
 * HMAC-SHA256 under one key (RFC 2104: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))), with both padded keys
 * made once and two one-shot `crypto.hash` calls per signature. `createHmac` builds an Hmac stream
 * object and initializes a MAC context for every request, which made signing a tenth of a webhook
 * delivery's CPU. Tests hold it to `createHmac` and the Standard Webhooks test vector.
 */
export class SigningKey {
  /** K ⊕ ipad, then the message being signed (the buffer grows to the largest message). */
  #inner: Buffer;
  /** K ⊕ opad, then the inner digest. */
  readonly #outer: Buffer;

  constructor(key: Uint8Array) {
    const k = key.length > SHA256_BLOCK ? hash("sha256", key, "buffer") : key;
    this.#inner = Buffer.alloc(SHA256_BLOCK + 1024, 0x36);
    this.#outer = Buffer.alloc(SHA256_BLOCK + SHA256_BYTES, 0x5c);
    for (let i = 0; i < k.length; i++) {
      this.#inner[i] = 0x36 ^ k[i]!;
      this.#outer[i] = 0x5c ^ k[i]!;
    }
  }

  /** The base64 HMAC of `prefix` (UTF-8) followed by `body`. */
  sign(prefix: string, body: Uint8Array): string {
    // Room for the prefix at its largest (3 bytes per UTF-16 unit), so no byteLength pass first.
    const room = SHA256_BLOCK + 3 * prefix.length + body.length;
    let inner = this.#inner;
    if (room > inner.length) {
      // Kept for next time up to a bound; one huge payload must not stay in memory per key.
      const size =
        room <= MAX_KEPT_BUFFER
          ? Math.min(MAX_KEPT_BUFFER, Math.max(room, 2 * inner.length))
          : room;
      inner = Buffer.alloc(size);
      this.#inner.copy(inner, 0, 0, SHA256_BLOCK);
      if (inner.length <= MAX_KEPT_BUFFER) this.#inner = inner;
    }
    const written = inner.write(prefix, SHA256_BLOCK, "utf8");
    inner.set(body, SHA256_BLOCK + written);
    const end = SHA256_BLOCK + written + body.length;
    // As a "binary" (latin1) string, a char per byte: the cheapest form of crypto.hash to copy back.
    const innerDigest = hash("sha256", inner.subarray(0, end), "binary");
    this.#outer.write(innerDigest, SHA256_BLOCK, "latin1");
    return hash("sha256", this.#outer, "base64");
  }
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
  keys: readonly SigningKey[],
  msgId: string,
  timestampSeconds: number,
  body: Uint8Array,
): string {
  const prefix = `${msgId}.${timestampSeconds}.`;
  let out = "";
  for (const key of keys) {
    const mac = key.sign(prefix, body);
    out = out === "" ? `${SIGNATURE_VERSION},${mac}` : `${out} ${SIGNATURE_VERSION},${mac}`;
  }
  return out;
}

/** The three Standard Webhooks headers for one attempt (the timestamp is the attempt's, not the event's). */
export function standardWebhookHeaders(
  keys: readonly SigningKey[],
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
