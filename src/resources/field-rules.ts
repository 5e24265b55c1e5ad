// Field formats shared by validation.ts (the directory source, the REST API, the controller) and
// the CRD schemas (crd-schema.ts), so that the API server and segwatch accept the same values.
// Every pattern is valid both as a JavaScript RegExp and as RE2, the syntax of the API server's
// OpenAPI `pattern` and CEL `matches()`.

/** Slugs are SegmentQL identifiers (INCLUDE uses them) and the REST API's segment names. */
export const SLUG_PATTERN = "^[a-z0-9_][a-z0-9_.-]*$";

/** An HTTP header name: an RFC 9110 token. */
export const HEADER_NAME_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** Go's time.ParseDuration syntax without a sign ("1s", "1h30m", "500ms", "0"). */
export const DURATION_PATTERN = "^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+)$";

/** Any account-id length: the brief's own example (13 digits) must be accepted; AWS judges the ARN. */
export const ROLE_ARN_PATTERN = "^arn:aws[\\w-]*:iam::\\d+:role/.+";

/** Contains something other than white space. */
export const NON_BLANK_PATTERN = "\\S";

/**
 * An http(s) URL with a host. The CRD rule checks this shape; validation.ts additionally parses the
 * URL with WHATWG rules, which are stricter about the host.
 */
export const HTTP_URL_PATTERN = "^(?i:https?)://[^\\s/?#@]+(@[^\\s/?#@]+)?([/?#]\\S*)?$";

/**
 * Bounds the API server needs to estimate the cost of the ProfileSchema field-type rule (a rule over
 * an unbounded map is refused); validation.ts enforces them too.
 */
export const LIMITS = {
  schemaFields: 1024,
  fieldTypeLength: 64,
} as const;
