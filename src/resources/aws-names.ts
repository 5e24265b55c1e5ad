// What AWS accepts as a region, a Kinesis stream and an IAM role, for the checks that name the field
// before anything is sent (resource validation, the Kinesis channel). Pure.

import { ROLE_ARN_PATTERN } from "./field-rules.ts";

/** us-east-1, eu-central-2, us-gov-west-1, cn-north-1 … */
export const AWS_REGION_RE = /^[a-z]{2,}(-[a-z]+)+-\d{1,2}$/;

/** A stream name: 1–128 of letters, digits, "_", "." and "-". */
export const KINESIS_STREAM_NAME_RE = /^[a-zA-Z0-9_.-]{1,128}$/;

/** A stream ARN: arn:aws:kinesis:us-east-1:123456789012:stream/name. */
export const KINESIS_STREAM_ARN_RE =
  /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]{1,128}$/;

/** Any account-id length: the brief's own example (13 digits) must be accepted; AWS judges the ARN. */
export const IAM_ROLE_ARN_RE = new RegExp(ROLE_ARN_PATTERN);

export function isKinesisStream(s: string): boolean {
  return KINESIS_STREAM_NAME_RE.test(s) || KINESIS_STREAM_ARN_RE.test(s);
}
