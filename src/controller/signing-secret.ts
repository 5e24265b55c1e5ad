// Standard Webhooks signing secrets of a webhook subscription: generated once when the subscription
// names none, and rotated without a gap — when the secret's value changes, the previous one keeps
// signing alongside (receivers holding either verify) for a rotation window.

import { randomBytes } from "node:crypto";
import { SIGNING_SECRET_BYTES } from "./defaults.ts";
import type { WebhookRecord } from "./records.ts";

/** "whsec_" + base64 of random bytes: the form Standard Webhooks libraries take as is. */
export function generateSigningSecret(random: (n: number) => Buffer = randomBytes): string {
  return `whsec_${random(SIGNING_SECRET_BYTES).toString("base64")}`;
}

export interface SigningSecrets {
  /** The current secret first; the previous one second while the rotation window is open. */
  readonly signingSecrets: readonly string[];
  readonly previousSigningSecretExpiresAt?: string;
  /** When to look again: the moment the previous secret must be dropped. */
  readonly recheckAfterMs?: number;
}

/**
 * The secrets to sign with, given the current secret and what the registry held before (the only
 * memory of the previous value: it is already where the secrets live, and nowhere else should).
 */
export function signingSecretsFor(
  current: string,
  previous: WebhookRecord | undefined,
  now: number,
  rotationWindowMs: number,
): SigningSecrets {
  const before = previous?.signingSecrets ?? [];
  if (before.length === 0) return { signingSecrets: [current] };
  if (before[0] !== current) {
    const expires = now + rotationWindowMs;
    return {
      signingSecrets: [current, before[0]!],
      previousSigningSecretExpiresAt: new Date(expires).toISOString(),
      recheckAfterMs: rotationWindowMs,
    };
  }
  const second = before[1];
  const expiresAt = previous?.previousSigningSecretExpiresAt;
  const expires = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  if (second !== undefined && second !== current && expires > now) {
    return {
      signingSecrets: [current, second],
      previousSigningSecretExpiresAt: expiresAt!,
      recheckAfterMs: expires - now,
    };
  }
  return { signingSecrets: [current] };
}
