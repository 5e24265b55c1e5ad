// An Event Hubs subscription's connection settings: the connection string's parts and the hub they
// address. Pure, and free of the Azure SDK, so the controller and the REST API check a connection
// string without loading it. The parsing mirrors the SDK's (core-amqp parseConnectionString: `;`
// separated `Key=Value` parts, keys as spelled by the portal), so what passes here the SDK accepts.

/** Why a connection string or hub name cannot be used. `field` names which of the two is at fault. */
export class EventHubSettingsError extends Error {
  readonly field: "connectionString" | "eventHubName";

  constructor(field: "connectionString" | "eventHubName", message: string) {
    super(message);
    this.name = "EventHubSettingsError";
    this.field = field;
  }
}

export interface EventHubConnectionString {
  /** As written, e.g. "sb://ns.servicebus.windows.net/". */
  readonly endpoint: string;
  /** Host (and port, when the endpoint names one) of the namespace. */
  readonly host: string;
  readonly sharedAccessKeyName?: string;
  readonly sharedAccessKey?: string;
  /** A pre-signed "SharedAccessSignature sr=…" instead of a key. */
  readonly sharedAccessSignature?: string;
  /** The hub the string is scoped to (hub-level policies carry one). */
  readonly entityPath?: string;
  /** Plain AMQP on port 5672 (or the endpoint's port) instead of TLS: the local emulator. */
  readonly useDevelopmentEmulator: boolean;
}

export interface EventHubTarget {
  readonly connectionString: string;
  readonly eventHubName: string;
  readonly parsed: EventHubConnectionString;
}

/** Event hub names: letters, digits, ".", "-", "_", starting and ending with a letter or digit. */
const HUB_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$/;

export function parseEventHubConnectionString(raw: string): EventHubConnectionString {
  const parts: Record<string, string> = {};
  for (const part of raw.trim().split(";")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq <= 0) {
      throw new EventHubSettingsError(
        "connectionString",
        "the connection string is malformed: every part must be Key=Value, separated by ';'",
      );
    }
    parts[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  const endpoint = parts.Endpoint;
  if (!endpoint) {
    throw new EventHubSettingsError(
      "connectionString",
      "the connection string has no Endpoint=sb://<namespace>.servicebus.windows.net/ part",
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EventHubSettingsError(
      "connectionString",
      "the connection string's Endpoint is not a URL like sb://<namespace>.servicebus.windows.net/",
    );
  }
  if (url.protocol !== "sb:" || url.hostname === "") {
    throw new EventHubSettingsError(
      "connectionString",
      "the connection string's Endpoint must be an sb://<namespace>.servicebus.windows.net/ URL",
    );
  }
  const signature = parts.SharedAccessSignature;
  const keyName = parts.SharedAccessKeyName;
  const key = parts.SharedAccessKey;
  if (signature === undefined) {
    if (!keyName)
      throw new EventHubSettingsError(
        "connectionString",
        "the connection string has no SharedAccessKeyName (nor a SharedAccessSignature)",
      );
    if (!key)
      throw new EventHubSettingsError(
        "connectionString",
        "the connection string has no SharedAccessKey (nor a SharedAccessSignature)",
      );
  } else if (!signature.startsWith("SharedAccessSignature ")) {
    throw new EventHubSettingsError(
      "connectionString",
      'the connection string\'s SharedAccessSignature must start with "SharedAccessSignature "',
    );
  }
  const emulator = parts.UseDevelopmentEmulator;
  if (emulator !== undefined && emulator !== "true" && emulator !== "false") {
    throw new EventHubSettingsError(
      "connectionString",
      "the connection string's UseDevelopmentEmulator must be true or false",
    );
  }
  return {
    endpoint,
    host: url.host,
    ...(keyName ? { sharedAccessKeyName: keyName } : {}),
    ...(key ? { sharedAccessKey: key } : {}),
    ...(signature ? { sharedAccessSignature: signature } : {}),
    ...(parts.EntityPath ? { entityPath: parts.EntityPath } : {}),
    useDevelopmentEmulator: emulator === "true",
  };
}

/**
 * The hub a subscription publishes to: its `eventHubName`, else the connection string's EntityPath.
 * Both given and different is an error rather than a guess (the SDK would refuse it too, with the
 * whole connection string, key included, in its message).
 */
export function resolveEventHubTarget(
  connectionString: string | undefined,
  eventHubName: string | undefined,
): EventHubTarget {
  if (connectionString === undefined || connectionString.trim() === "")
    throw new EventHubSettingsError("connectionString", "no connection string");
  const parsed = parseEventHubConnectionString(connectionString);
  const named = eventHubName?.trim() || undefined;
  if (named && parsed.entityPath && named !== parsed.entityPath) {
    throw new EventHubSettingsError(
      "eventHubName",
      `the event hub name "${named}" does not match the connection string's EntityPath "${parsed.entityPath}"`,
    );
  }
  const hub = named ?? parsed.entityPath;
  if (!hub) {
    throw new EventHubSettingsError(
      "eventHubName",
      "the event hub name is required (the connection string has no EntityPath)",
    );
  }
  if (!HUB_NAME_RE.test(hub)) {
    throw new EventHubSettingsError(
      named ? "eventHubName" : "connectionString",
      `"${hub}" is not a valid event hub name: letters, digits, ".", "-" and "_", starting and ending with a letter or digit`,
    );
  }
  return { connectionString: connectionString.trim(), eventHubName: hub, parsed };
}

/** Connection-string secrets (SharedAccessKey=…, sig=…) masked, for error texts that may echo them. */
export function redactEventHubSecrets(text: string): string {
  return text
    .replace(/(SharedAccessKey\s*=\s*)[^;"'\s]+/gi, "$1***")
    .replace(/(SharedAccessSignature\s*=\s*)[^;"']+/gi, "$1***")
    .replace(/([?&]sig=)[^&;"'\s]+/gi, "$1***");
}
