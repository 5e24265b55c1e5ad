// A Kinesis subscription's base credentials come from a Secret holding the same names the AWS CLI and
// SDKs read from the environment, so that `kubectl create secret generic aws --from-env-file=…` works
// with an existing credentials env file. Pure.

import type { SecretData } from "../resources/types.ts";
import type { AwsCredentialsRecord } from "./records.ts";

/** The keys of a credentials Secret. */
export const AWS_SECRET_KEYS = {
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  /** Optional: only temporary credentials have one. */
  sessionToken: "AWS_SESSION_TOKEN",
} as const;

export type AwsCredentialsParse =
  | { readonly ok: true; readonly credentials: AwsCredentialsRecord }
  | { readonly ok: false; readonly reason: string };

/** Reads credentials from a Secret's data; names the missing or empty keys otherwise. */
export function awsCredentialsFromSecret(data: SecretData): AwsCredentialsParse {
  const value = (key: string) => {
    const v = data[key];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const accessKeyId = value(AWS_SECRET_KEYS.accessKeyId);
  const secretAccessKey = value(AWS_SECRET_KEYS.secretAccessKey);
  const sessionToken = value(AWS_SECRET_KEYS.sessionToken);
  const missing = [
    ...(accessKeyId ? [] : [AWS_SECRET_KEYS.accessKeyId]),
    ...(secretAccessKey ? [] : [AWS_SECRET_KEYS.secretAccessKey]),
  ];
  if (missing.length > 0 || !accessKeyId || !secretAccessKey) {
    return {
      ok: false,
      reason: `needs non-empty keys ${missing.join(" and ")} (optional ${AWS_SECRET_KEYS.sessionToken})`,
    };
  }
  return {
    ok: true,
    credentials: sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey },
  };
}
