// A subscription's Google Cloud credentials: a service-account key (the JSON file Google issues), read
// from a Secret. Pure. Only the fields a service account signs its token requests with are kept: other
// credential types (external_account, impersonation) make the auth library read files, call URLs or
// run programs named in the JSON, which a tenant must not be able to make the worker do.

import { createPrivateKey } from "node:crypto";

export interface ServiceAccountKey {
  readonly type: "service_account";
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly project_id?: string;
}

/** A credentials value that is not a usable service-account key; the message says why. */
export class PubSubCredentialsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PubSubCredentialsError";
  }
}

export function parseServiceAccountKey(json: string): ServiceAccountKey {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new PubSubCredentialsError("the credentials are not JSON (a service-account key file)", {
      cause: err,
    });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new PubSubCredentialsError("the credentials are not a JSON object");
  const o = raw as Record<string, unknown>;
  if (o.type !== "service_account") {
    throw new PubSubCredentialsError(
      `the credentials are of type ${JSON.stringify(o.type ?? null)}; only a service-account key ("type": "service_account") is accepted`,
    );
  }
  const email = o.client_email;
  if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email))
    throw new PubSubCredentialsError("the service-account key has no client_email");
  const pem = o.private_key;
  if (typeof pem !== "string" || pem === "")
    throw new PubSubCredentialsError("the service-account key has no private_key");
  try {
    createPrivateKey(pem);
  } catch (err) {
    throw new PubSubCredentialsError("the service-account key's private_key is not a PEM key", {
      cause: err,
    });
  }
  return {
    type: "service_account",
    client_email: email,
    private_key: pem,
    ...(typeof o.private_key_id === "string" ? { private_key_id: o.private_key_id } : {}),
    ...(typeof o.project_id === "string" ? { project_id: o.project_id } : {}),
  };
}
