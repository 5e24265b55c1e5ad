// What a Kinesis (or STS) answer means for a delivery. Pure.
//
// - throttling (ProvisionedThroughputExceeded, LimitExceeded, KMS throttling), the service's own
//   failures (InternalFailure, 5xx), timeouts and network errors: retry.
// - a stream that is not there, or not ACTIVE (ResourceNotFound, ResourceInUse): retry. A stream is
//   often created beside its subscription (Terraform, CloudFormation) and is not found until it is
//   ACTIVE; a stream that stays missing is dead-lettered once the subscription's attempts run out.
// - credentials the chain cannot produce right now (CredentialsProviderError): retry — a pod's
//   service-account token or instance role may just not be there yet.
// - refused credentials, missing permissions, invalid requests, unusable KMS keys, and any other 4xx:
//   permanent, dead-lettered at once.
//
// PutRecords reports per record: a partial failure retries only the records whose ErrorCode says so.

import type { DeliveryOutcome } from "./channel.ts";
import { ChannelConfigError, describeError, findCause } from "./errors.ts";
import { permanent, retry, SUCCESS } from "./outcome.ts";

/** Error names (SDK exception names, per-record ErrorCodes) that go away by themselves. */
const RETRYABLE = new Set([
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "KMSThrottlingException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "InternalFailure",
  "InternalFailureException",
  "InternalServerError",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "ResourceNotFoundException",
  "ResourceInUseException",
  "ExpiredToken",
  "ExpiredTokenException",
  "RequestExpired",
  "IDPCommunicationError",
  "CredentialsProviderError",
  "TimeoutError",
  "AbortError",
]);

/** Error names that no retry fixes. */
const PERMANENT = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "NotAuthorized",
  "OptInRequired",
  "RegionDisabledException",
  "MalformedPolicyDocument",
  "PackedPolicyTooLarge",
  "ValidationException",
  "InvalidArgumentException",
  "KMSAccessDeniedException",
  "KMSDisabledException",
  "KMSInvalidStateException",
  "KMSNotFoundException",
  "KMSOptInRequired",
]);

/** The parts of an SDK error the classification reads. */
interface SdkErrorShape {
  readonly name: string;
  readonly message: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const isSdkError = (e: unknown): e is Error & SdkErrorShape =>
  e instanceof Error &&
  (RETRYABLE.has(e.name) ||
    PERMANENT.has(e.name) ||
    typeof (e as SdkErrorShape).$metadata?.httpStatusCode === "number");

const isConfigError = (e: unknown): e is ChannelConfigError => e instanceof ChannelConfigError;

/** The outcome of a call that threw. `what` names the call ("kinesis PutRecords"). */
export function kinesisErrorOutcome(what: string, err: unknown): DeliveryOutcome {
  const config = findCause(err, isConfigError);
  if (config) return permanent(`${what}: ${config.message}`);
  const error = `${what}: ${describeSdkError(err)}`;
  const sdk = findCause(err, isSdkError);
  if (sdk === undefined) return retry(error); // network: refused, reset, DNS…
  if (RETRYABLE.has(sdk.name)) return retry(error);
  if (PERMANENT.has(sdk.name)) return permanent(error);
  const status = sdk.$metadata?.httpStatusCode;
  if (status === undefined || status === 408 || status === 429 || status >= 500)
    return retry(error);
  return permanent(error);
}

/** The outcome of one record's ErrorCode in a PutRecords answer; unknown codes are retried. */
export function recordErrorOutcome(
  what: string,
  code: string,
  message: string | undefined,
): DeliveryOutcome {
  const error = `${what}: ${code}${message ? `: ${message}` : ""}`;
  return PERMANENT.has(code) ? permanent(error) : retry(error);
}

/** A PutRecords answer's per-record results, in request order. */
export interface PutRecordsResultEntry {
  readonly ErrorCode?: string | undefined;
  readonly ErrorMessage?: string | undefined;
  readonly SequenceNumber?: string | undefined;
}

/**
 * One outcome per record sent: success for each record with a sequence number and no error code, the
 * error's outcome for the others. An answer that does not match the request retries every record.
 */
export function putRecordsOutcomes(
  what: string,
  sent: number,
  results: readonly PutRecordsResultEntry[] | undefined,
): DeliveryOutcome[] {
  if (!results || results.length !== sent) {
    const o = retry(`${what}: answer has ${results?.length ?? 0} results for ${sent} records`);
    return Array.from({ length: sent }, () => o);
  }
  return results.map((r) => {
    if (r.ErrorCode) return recordErrorOutcome(what, r.ErrorCode, r.ErrorMessage);
    if (!r.SequenceNumber) return retry(`${what}: record not acknowledged (no sequence number)`);
    return SUCCESS;
  });
}

/** Name, HTTP status and message of an SDK error, or any error's description. */
export function describeSdkError(err: unknown): string {
  const sdk = findCause(err, isSdkError);
  if (sdk === undefined) return describeError(err);
  const status = sdk.$metadata?.httpStatusCode;
  // The SDK names an answer it could not parse after the parse error; the status tells more then.
  const unparsed = sdk.name === "SyntaxError" || sdk.message.includes("Deserialization error");
  const name = unparsed ? "unreadable error answer" : sdk.name;
  const message = unparsed ? "" : sdk.message;
  const parts = [status !== undefined ? `HTTP ${status}` : undefined, name, message].filter(
    (p) => p !== undefined && p !== "" && p !== "Error",
  );
  const described = parts.join(": ");
  // A wrapper (assume-role failure) keeps its own context in front.
  return err !== sdk && err instanceof Error ? `${err.message} (${described})` : described;
}
