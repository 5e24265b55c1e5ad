// Shared Access Signatures as Event Hubs checks them: the token the SDK puts on $cbs is
//   SharedAccessSignature sr=<url-encoded resource>&sig=<url-encoded base64 HMAC-SHA256>&se=<expiry s>&skn=<key name>
// signed over "<url-encoded resource>\n<expiry>" with the key's text (core-amqp tokenProvider.ts). A
// token grants its resource and everything below it. Pure: the peer's CBS node uses it.

import { createHmac, timingSafeEqual } from "node:crypto";

export type SasCheck =
  | { readonly ok: true; readonly keyName: string; readonly resource: string }
  | { readonly ok: false; readonly reason: string };

const PREFIX = "SharedAccessSignature ";

/** A token for `resource` signed with `key`, byte for byte what the SDK sends. */
export function signSas(
  resource: string,
  keyName: string,
  key: string,
  expirySeconds: number,
): string {
  const sr = encodeURIComponent(resource);
  const sig = encodeURIComponent(
    createHmac("sha256", key).update(`${sr}\n${expirySeconds}`).digest("base64"),
  );
  return `${PREFIX}sr=${sr}&sig=${sig}&se=${expirySeconds}&skn=${encodeURIComponent(keyName)}`;
}

/** Whether `token` is valid now for `audience`, given the namespace's keys (name → key). */
export function validateSas(
  token: unknown,
  audience: string,
  keys: ReadonlyMap<string, string>,
  nowSeconds: number,
): SasCheck {
  if (typeof token !== "string" || !token.startsWith(PREFIX))
    return { ok: false, reason: "not a SharedAccessSignature token" };
  const fields = new Map<string, string>();
  for (const part of token.slice(PREFIX.length).split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  const skn = fields.get("skn");
  if (!sr || !sig || !se || !skn)
    return { ok: false, reason: "the token lacks sr, sig, se or skn" };
  let keyName: string;
  let resource: string;
  let signature: Buffer;
  try {
    keyName = decodeURIComponent(skn);
    resource = decodeURIComponent(sr);
    signature = Buffer.from(decodeURIComponent(sig), "base64");
  } catch {
    return { ok: false, reason: "the token is not URL-encoded properly" };
  }
  const key = keys.get(keyName);
  if (key === undefined) return { ok: false, reason: `no key named ${keyName}` };
  const expected = createHmac("sha256", key).update(`${sr}\n${se}`).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
    return { ok: false, reason: "InvalidSignature: the token's signature does not match the key" };
  const expiry = Number(se);
  if (!Number.isFinite(expiry) || expiry <= nowSeconds)
    return { ok: false, reason: "ExpiredToken: the token has expired" };
  if (!covers(resource, audience))
    return { ok: false, reason: `InvalidAudience: the token is for ${resource}, not ${audience}` };
  return { ok: true, keyName, resource };
}

/** A token's resource grants itself and what lies below it (case-insensitively, as the service does). */
export function covers(resource: string, audience: string): boolean {
  const r = resource.toLowerCase().replace(/\/+$/, "");
  const a = audience.toLowerCase().replace(/\/+$/, "");
  return a === r || a.startsWith(`${r}/`);
}
