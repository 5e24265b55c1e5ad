// A subscription's channel settings with every Secret they reference read, as the delivery workers get
// them in the registry. A webhook subscription without a signing secret of its own gets one generated
// once and stored as Secret `<subscription>-signing`, so that restarts keep signing with the same key.

import { EventHubSettingsError, resolveEventHubTarget } from "../delivery/eventhub-settings.ts";
import { parseServiceAccountKey } from "../delivery/pubsub-credentials.ts";
import { decodeSigningSecret } from "../delivery/signing.ts";
import type { ResourceSource } from "../resources/source.ts";
import type { EventHubConfig, SecretData, SecretKeyRef, Subscription } from "../resources/types.ts";
import { awsCredentialsFromSecret } from "./aws-credentials.ts";
import { type ConditionInput, falseCondition } from "./conditions.ts";
import { GENERATED_SIGNING_SECRET_KEY, generatedSigningSecretName } from "./defaults.ts";
import { ConditionType, Reason } from "./reasons.ts";
import type { ResolvedChannel } from "./record-builders.ts";
import type { EventHubRecord, KinesisRecord, PubSubRecord, WebhookRecord } from "./records.ts";
import { generateSigningSecret, signingSecretsFor } from "./signing-secret.ts";

export type ChannelResolution =
  | { readonly ok: true; readonly channel: ResolvedChannel; readonly recheckAfterMs?: number }
  | { readonly ok: false; readonly condition: ConditionInput; readonly recheckAfterMs?: number };

export interface ChannelContext {
  readonly source: ResourceSource;
  /** The webhook settings registered before, if any: the memory of a rotation. */
  readonly previousWebhook: WebhookRecord | undefined;
  readonly now: number;
  readonly rotationWindowMs: number;
  readonly missingSecretRetryMs: number;
}

/** Reads Secrets of one namespace, each once, and remembers which references could not be read. */
class SecretReader {
  readonly missing: string[] = [];
  private readonly cache = new Map<string, Promise<SecretData | undefined>>();
  private readonly source: ResourceSource;
  private readonly namespace: string;

  constructor(source: ResourceSource, namespace: string) {
    this.source = source;
    this.namespace = namespace;
  }

  secret(name: string): Promise<SecretData | undefined> {
    let p = this.cache.get(name);
    if (!p) {
      p = this.source.readSecret(this.namespace, name);
      this.cache.set(name, p);
    }
    return p;
  }

  async whole(name: string, path: string): Promise<SecretData | undefined> {
    const data = await this.secret(name);
    if (!data) this.missing.push(`Secret ${name} not found (${path})`);
    return data;
  }

  async key(ref: SecretKeyRef, path: string): Promise<string | undefined> {
    const data = await this.secret(ref.name);
    if (!data) {
      this.missing.push(`Secret ${ref.name} not found (${path})`);
      return undefined;
    }
    const value = data[ref.key];
    if (value === undefined) {
      this.missing.push(`Secret ${ref.name} has no key "${ref.key}" (${path})`);
      return undefined;
    }
    return value;
  }
}

export async function resolveChannel(
  sub: Subscription,
  ctx: ChannelContext,
): Promise<ChannelResolution> {
  const ns = sub.metadata.namespace;
  const spec = sub.spec;
  const secrets = new SecretReader(ctx.source, ns);
  // Secrets are not watched: a Secret with an unusable value is looked at again after a while.
  const invalidSecret = (message: string): ChannelResolution => ({
    ok: false,
    condition: falseCondition(ConditionType.DeliveryReady, Reason.InvalidSecret, message),
    recheckAfterMs: ctx.missingSecretRetryMs,
  });
  let channel: ResolvedChannel = {};
  let recheckAfterMs: number | undefined;

  if (spec.channel === "webhook" && spec.webhook) {
    const w = spec.webhook;
    const headers: Record<string, string> = { ...(w.headers ?? {}) };
    for (const [i, h] of (w.headersFrom ?? []).entries()) {
      const value = await secrets.key(h.secretKeyRef, `spec.webhook.headersFrom[${i}]`);
      if (value !== undefined) headers[h.name] = value;
    }
    const writeKey = w.segmentioWriteKeyRef
      ? await secrets.key(w.segmentioWriteKeyRef, "spec.webhook.segmentioWriteKeyRef")
      : undefined;
    const current = w.signingSecretRef
      ? await secrets.key(w.signingSecretRef, "spec.webhook.signingSecretRef")
      : await generatedSecret(sub, secrets, ctx.source);
    if (current !== undefined) {
      try {
        decodeSigningSecret(current);
      } catch (err) {
        return invalidSecret(
          `the signing secret ${signingSecretLabel(sub)} is unusable: ${(err as Error).message}`,
        );
      }
      const signing = signingSecretsFor(
        current,
        ctx.previousWebhook,
        ctx.now,
        ctx.rotationWindowMs,
      );
      recheckAfterMs = signing.recheckAfterMs;
      const webhook: WebhookRecord = {
        url: w.url,
        headers,
        signingSecrets: signing.signingSecrets,
        ...(signing.previousSigningSecretExpiresAt
          ? { previousSigningSecretExpiresAt: signing.previousSigningSecretExpiresAt }
          : {}),
        ...(writeKey !== undefined ? { segmentioWriteKey: writeKey } : {}),
      };
      channel = { webhook };
    }
  } else if (spec.channel === "kinesis" && spec.kinesis) {
    const k = spec.kinesis;
    const data = k.credentialsSecretRef
      ? await secrets.whole(k.credentialsSecretRef.name, "spec.kinesis.credentialsSecretRef")
      : undefined;
    const credentials = data ? awsCredentialsFromSecret(data) : undefined;
    if (credentials && !credentials.ok) {
      return invalidSecret(
        `the credentials Secret ${k.credentialsSecretRef!.name} (spec.kinesis.credentialsSecretRef) ${credentials.reason}`,
      );
    }
    channel = {
      kinesis: compact({
        region: k.region,
        stream: k.stream,
        roleArn: k.roleArn,
        externalId: k.externalId,
        identifierField: k.identifierField,
        endpoint: k.endpoint,
        credentials: credentials?.credentials,
      }) as unknown as KinesisRecord,
    };
  } else if (spec.channel === "eventhub" && spec.eventHub) {
    const e = spec.eventHub;
    const connectionString = await secrets.key(
      e.connectionStringSecretRef,
      "spec.eventHub.connectionStringSecretRef",
    );
    if (connectionString !== undefined) {
      const invalid = eventHubSettingsProblem(connectionString, e.eventHubName, e);
      if (invalid) return invalidSecret(invalid);
      channel = {
        eventHub: {
          connectionString,
          ...(e.eventHubName ? { eventHubName: e.eventHubName } : {}),
          ...(e.partitionKeyField ? { partitionKeyField: e.partitionKeyField } : {}),
        } satisfies EventHubRecord,
      };
    }
  } else if (spec.channel === "pubsub" && spec.pubsub) {
    const p = spec.pubsub;
    const credentials = p.credentialsSecretRef
      ? await secrets.key(p.credentialsSecretRef, "spec.pubsub.credentialsSecretRef")
      : undefined;
    if (credentials !== undefined) {
      try {
        parseServiceAccountKey(credentials);
      } catch (err) {
        const ref = p.credentialsSecretRef!;
        return invalidSecret(
          `the Pub/Sub credentials (Secret ${ref.name}, key ${ref.key}) are unusable: ${(err as Error).message}`,
        );
      }
    }
    const pubsub: PubSubRecord = {
      projectId: p.projectId,
      topic: p.topic,
      ...(p.orderingKeyField !== undefined ? { orderingKeyField: p.orderingKeyField } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
    };
    channel = { pubsub };
  }

  if (secrets.missing.length > 0) {
    return {
      ok: false,
      condition: falseCondition(
        ConditionType.DeliveryReady,
        Reason.SecretNotFound,
        secrets.missing.join("; "),
      ),
      recheckAfterMs: ctx.missingSecretRetryMs,
    };
  }
  return recheckAfterMs === undefined
    ? { ok: true, channel }
    : { ok: true, channel, recheckAfterMs };
}

/** Why the worker could not publish with this connection string (or hub name), if it could not. */
function eventHubSettingsProblem(
  connectionString: string,
  eventHubName: string | undefined,
  e: EventHubConfig,
): string | undefined {
  try {
    resolveEventHubTarget(connectionString, eventHubName);
    return undefined;
  } catch (err) {
    if (!(err instanceof EventHubSettingsError)) throw err;
    const ref = e.connectionStringSecretRef;
    const where =
      err.field === "eventHubName"
        ? "spec.eventHub.eventHubName"
        : `spec.eventHub.connectionStringSecretRef (Secret ${ref.name}, key ${ref.key})`;
    return `${where}: ${err.message}`;
  }
}

async function generatedSecret(
  sub: Subscription,
  secrets: SecretReader,
  source: ResourceSource,
): Promise<string> {
  const name = generatedSigningSecretName(sub.metadata.name);
  const existing = (await secrets.secret(name))?.[GENERATED_SIGNING_SECRET_KEY];
  if (existing) return existing;
  const secret = generateSigningSecret();
  await source.writeSecret(sub.metadata.namespace, name, {
    [GENERATED_SIGNING_SECRET_KEY]: secret,
  });
  return secret;
}

function signingSecretLabel(sub: Subscription): string {
  const ref = sub.spec.webhook?.signingSecretRef;
  return ref
    ? `(Secret ${ref.name}, key ${ref.key})`
    : `(Secret ${generatedSigningSecretName(sub.metadata.name)}, key ${GENERATED_SIGNING_SECRET_KEY})`;
}

/** Drops undefined values, so that records compare equal whatever the spec left out. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
