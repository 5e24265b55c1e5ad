// POST /collect/json/:stream: events in, onto JetStream SEGWATCH_EVENTS, partitioned by user. The
// answer is 200 only once JetStream acknowledged every event of the request, so an accepted event is
// never lost; a request with any bad event publishes none of them.

import { headers as natsHeaders } from "@nats-io/transport-node";
import type { FastifyPluginAsync } from "fastify";
import type { SchemaRecord } from "../controller/records.ts";
import { eventSubject, HEADER } from "../nats/names.ts";
import { identityOf, partitionOf } from "../profile/identity.ts";
import { DEFAULT_IDENTITY_FIELDS } from "../resources/types.ts";
import { KEY_QUERY_PROPERTY, SECURITY } from "./auth.ts";
import { batchError, NDJSON_TYPES, parseCollectBody } from "./collect-body.ts";
import { ApiError, errorResponses, type ProblemDetail } from "./errors.ts";
import type { ApiMetrics, RejectReason } from "./metrics.ts";
import { type EventMessage, type EventPublisher, EventsNotStoredError } from "./publisher.ts";
import { envelope } from "./schemas.ts";

/** What collect needs of the registry: the namespace's identity fields. */
export interface SchemaLookup {
  schema(namespace: string): Pick<SchemaRecord, "identityFields"> | undefined;
}

export interface CollectOptions {
  readonly publisher: EventPublisher;
  readonly registry: SchemaLookup;
  readonly partitions: number;
  readonly bodyLimit: number;
  readonly metrics: ApiMetrics;
  readonly clock: () => Date;
}

/** A stream name travels in a NATS header and in logs: printable, bounded. */
export const STREAM_NAME_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$";

const REJECT_REASONS: ReadonlySet<string> = new Set<RejectReason>([
  "invalid_json",
  "invalid_event",
  "missing_identity",
  "empty_body",
  "payload_too_large",
  "publish_failed",
]);

const eventDoc = {
  type: "object",
  description:
    "An event: any JSON object carrying one of the namespace's identity fields (default user_id).",
  additionalProperties: true,
  example: { user_id: "user123", paying_user: "t" },
} as const;

/** The body as the OpenAPI document shows it (the route reads the bytes itself, see the parser). */
const bodyDoc = {
  description:
    "One JSON object, a JSON array of objects, or NDJSON (one object per line; Content-Type application/x-ndjson, or several lines).",
  oneOf: [eventDoc, { type: "array", items: eventDoc }],
} as const;

export const collectRoutes: FastifyPluginAsync<CollectOptions> = async (app, opts) => {
  const { publisher, registry, partitions, metrics, clock } = opts;

  // Every content type (or none: curl -d sends form encoding) is read as bytes: the handler decides
  // between JSON and NDJSON, reports errors with their position, and publishes a single-event body's
  // bytes as they came.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "*",
    { parseAs: "buffer", bodyLimit: opts.bodyLimit },
    (_request, body, done) => done(null, body),
  );

  app.addHook("onError", (request, _reply, error, done) => {
    // Limits fastify enforces before the handler; the handler counts its own rejections.
    if ((error as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE")
      metrics.eventsRejected(request.namespace || "unknown", "payload_too_large", 1);
    done();
  });

  app.post(
    "/collect/json/:stream",
    {
      bodyLimit: opts.bodyLimit,
      config: {
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: bodyDoc }, url }),
      },
      schema: {
        summary: "Collect events",
        description: `Stores the events in JetStream and answers once every one is acknowledged. Each event needs an identity: the first present field of the namespace's ProfileSchema identityFields (default user_id). Bodies above the size limit get 413.`,
        tags: ["collect"],
        security: SECURITY,
        consumes: ["application/json", ...NDJSON_TYPES],
        params: {
          type: "object",
          required: ["stream"],
          properties: {
            stream: {
              type: "string",
              pattern: STREAM_NAME_PATTERN,
              description: "The stream the events belong to (recorded with each event).",
            },
          },
        },
        querystring: { type: "object", properties: KEY_QUERY_PROPERTY },
        response: {
          200: envelope(
            {
              type: "object",
              required: ["accepted"],
              properties: {
                accepted: { type: "integer", description: "Events stored." },
                stream: { type: "string" },
              },
            },
            "Every event is stored.",
          ),
          ...errorResponses(400, 401, 413, 503),
        },
      },
    },
    async (request) => {
      const ns = request.namespace;
      const { stream } = request.params as { stream: string };
      let count = 1;
      try {
        const events = parseCollectBody(
          request.body as Buffer | undefined,
          request.headers["content-type"],
        );
        count = events.length;
        const fields = registry.schema(ns)?.identityFields ?? DEFAULT_IDENTITY_FIELDS;
        const receivedAt = clock().toISOString();
        const messages = new Array<EventMessage>(events.length);
        const missing: ProblemDetail[] = [];
        for (let i = 0; i < events.length; i++) {
          const event = events[i]!;
          const identity = identityOf(event.value, fields);
          if (!identity) {
            missing.push({
              event: i,
              kind: "MissingIdentity",
              reason: `has no identity: looked for ${fields.join(", ")} (a non-empty string or a number)`,
            });
            continue;
          }
          const h = natsHeaders();
          h.set(HEADER.stream, stream);
          h.set(HEADER.receivedAt, receivedAt);
          h.set(HEADER.user, identity.key);
          messages[i] = {
            subject: eventSubject(ns, partitionOf(identity.key, partitions)),
            data: event.json,
            headers: h,
          };
        }
        if (missing.length > 0) throw batchError("missing_identity", missing, events.length);
        const started = performance.now();
        try {
          await publisher.publish(messages);
        } catch (err) {
          if (!(err instanceof EventsNotStoredError)) throw err;
          throw new ApiError(
            "publish_failed",
            `${err.message}; the request was not accepted, send it again`,
            [],
            { cause: err },
          );
        }
        metrics.eventsAccepted(ns, messages.length, (performance.now() - started) / 1000);
        return { status: 200, message: "success", data: { accepted: messages.length, stream } };
      } catch (err) {
        if (err instanceof ApiError && REJECT_REASONS.has(err.code))
          metrics.eventsRejected(ns, err.code as RejectReason, count);
        throw err;
      }
    },
  );
};
