// A Google service-account key file of the shape Google issues, with a freshly generated RSA key: the
// credentials a Pub/Sub subscription reads from its Secret. Generated once per process.

import { generateKeyPairSync } from "node:crypto";

let pem: string | undefined;

export function serviceAccountKeyJson(
  overrides: Record<string, unknown> = {},
  email = "segwatch-test@segwatch-test.iam.gserviceaccount.com",
): string {
  pem ??= generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  return JSON.stringify({
    type: "service_account",
    project_id: "segwatch-test",
    private_key_id: "0123456789abcdef",
    private_key: pem,
    client_email: email,
    client_id: "1234567890",
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    ...overrides,
  });
}
