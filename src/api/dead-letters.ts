// A subscription's dead letters over REST: list them with the last error, and replay them once the
// receiver is fixed (same body, same idempotency key; see src/delivery/dead-letters.ts).

import type { FastifyPluginAsync } from "fastify";
import { DeadLetterError, type DeadLetterQueue } from "../delivery/dead-letters.ts";
import type { ResourceSource } from "../resources/source.ts";
import { resourceId } from "../resources/types.ts";
import { KEY_QUERY_PROPERTY, SECURITY } from "./auth.ts";
import { ApiError, errorResponses } from "./errors.ts";
import { envelope, idParams } from "./schemas.ts";
import { ok } from "./segments.ts";
import { findSubscription } from "./subscriptions.ts";

export interface DeadLetterRouteOptions {
  readonly source: ResourceSource;
  /** Absent when the API runs without NATS (tests with a stub publisher): the routes answer 503. */
  readonly deadLetters: DeadLetterQueue | undefined;
}

/** Dead letters one GET returns by default, and at most. */
export const DEAD_LETTER_PAGE_DEFAULT = 100;
export const DEAD_LETTER_PAGE_MAX = 1_000;

const deadLetterView = {
  type: "object",
  required: ["seq", "time", "user_key", "lane", "idempotency_key", "error", "attempts", "payload"],
  properties: {
    seq: { type: "integer", description: "Position in the dead-letter queue." },
    time: { type: "string", format: "date-time", description: "When it was dead-lettered." },
    user_key: {
      type: "string",
      description: "The profile key (a hash of the identity) of the user the message is about.",
    },
    lane: { type: "string", enum: ["live", "backfill"] },
    idempotency_key: {
      type: "string",
      description: "The key the receiver saw (webhook-id); a replay sends the same one.",
    },
    error: { type: "string", description: "The last attempt's error." },
    attempts: { type: "integer", description: "Attempts made before it was dead-lettered." },
    payload: {
      type: "object",
      additionalProperties: true,
      description: "The message as the receiver gets it (the v2 payload: data, meta).",
    },
  },
} as const;

const replayResultView = {
  type: "object",
  required: ["replayed", "skipped"],
  properties: {
    replayed: { type: "integer", description: "Dead letters sent again and removed." },
    skipped: {
      type: "array",
      description: "Dead letters left in the queue, each with the reason.",
      items: {
        type: "object",
        required: ["seq", "reason"],
        properties: { seq: { type: "integer" }, reason: { type: "string" } },
      },
    },
  },
} as const;

export const deadLetterRoutes: FastifyPluginAsync<DeadLetterRouteOptions> = async (app, opts) => {
  const queue = (): DeadLetterQueue => {
    if (!opts.deadLetters)
      throw new ApiError(
        "unavailable",
        "dead letters need the NATS connection, which this API has not",
      );
    return opts.deadLetters;
  };

  app.get(
    "/api/subscription/:id/deadletters",
    {
      schema: {
        summary: "List a subscription's dead letters",
        description: "Deliveries that failed for good, oldest first, with the last error.",
        tags: ["subscriptions"],
        security: SECURITY,
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...KEY_QUERY_PROPERTY,
            // Query values are strings and the API never coerces types.
            limit: {
              type: "string",
              pattern: "^[1-9][0-9]{0,5}$",
              description: `At most this many (default ${DEAD_LETTER_PAGE_DEFAULT}, at most ${DEAD_LETTER_PAGE_MAX}).`,
            },
            after: {
              type: "string",
              pattern: "^[0-9]{1,15}$",
              description:
                "Only dead letters after this seq: the next page starts after the last seq of the previous one.",
            },
          },
        },
        response: {
          200: envelope({ type: "array", items: deadLetterView }, "The dead letters."),
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { limit: asked, after } = request.query as { limit?: string; after?: string };
      const limit = Math.min(Number(asked ?? DEAD_LETTER_PAGE_DEFAULT), DEAD_LETTER_PAGE_MAX);
      const sub = await findSubscription(opts.source, request.namespace, id);
      const data = [];
      const letters = queue().list({
        subscriptionId: resourceId(sub.metadata),
        ...(after === undefined ? {} : { afterSeq: Number(after) }),
      });
      for await (const e of unavailableOnFailure(letters)) {
        // Its headers were damaged: `segwatch dlq list` shows it, with the reason. It does not count
        // towards the page, so a page is short only at the end of the queue.
        if (!e.ok) continue;
        const d = e.deadLetter;
        data.push({
          seq: d.seq,
          time: e.time.toISOString(),
          user_key: d.userKey,
          lane: d.lane,
          idempotency_key: d.idempotencyKey,
          error: d.error,
          attempts: d.attempts,
          payload: parsePayload(e.body),
        });
        if (data.length === limit) break;
      }
      return ok(data);
    },
  );

  app.post(
    "/api/subscription/:id/deadletters/replay",
    {
      schema: {
        summary: "Replay a subscription's dead letters",
        description:
          "Sends every dead letter of the subscription again, oldest first, with its original body and idempotency key, and removes it from the queue once the replay is stored. Replays arrive after the user's later changes.",
        tags: ["subscriptions"],
        security: SECURITY,
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: KEY_QUERY_PROPERTY,
        },
        response: {
          200: envelope(replayResultView, "What was replayed and what was left."),
          ...errorResponses(401, 404, 503),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const sub = await findSubscription(opts.source, request.namespace, id);
      try {
        return ok(await queue().replay({ subscriptionId: resourceId(sub.metadata) }));
      } catch (err) {
        throw asUnavailable(err);
      }
    },
  );
};

const decoder = new TextDecoder();

/** The evaluator publishes JSON; anything else is shown as text rather than failing the listing. */
function parsePayload(body: Uint8Array): Record<string, unknown> {
  const text = decoder.decode(body);
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === "object" && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { text };
}

/** The DLQ could not be read or written (NATS away, a replay cut short): 503, with what happened. */
function asUnavailable(err: unknown): unknown {
  return err instanceof DeadLetterError
    ? new ApiError("unavailable", err.message, [], { cause: err })
    : err;
}

async function* unavailableOnFailure<T>(it: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* it;
  } catch (err) {
    throw asUnavailable(err);
  }
}
