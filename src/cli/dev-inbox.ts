// `segwatch dev`'s local inbox: a webhook receiver a newcomer can point subscriptions at, and read
// back, without writing a receiver of their own. POST /dev/inbox/:name stores a request; GET lists
// what arrived (newest last). In memory only, bounded, loopback only (it is part of `segwatch dev`).

import type { FastifyPluginAsync } from "fastify";

/** Requests kept per inbox; older ones are dropped. */
export const INBOX_CAPACITY = 500;
const NAME_PATTERN = "^[A-Za-z0-9_.-]{1,64}$";

export interface InboxEntry {
  readonly receivedAt: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

export class DevInbox {
  private readonly inboxes = new Map<string, InboxEntry[]>();

  add(name: string, entry: InboxEntry): void {
    let list = this.inboxes.get(name);
    if (!list) {
      list = [];
      this.inboxes.set(name, list);
    }
    list.push(entry);
    if (list.length > INBOX_CAPACITY) list.splice(0, list.length - INBOX_CAPACITY);
  }

  list(name: string): readonly InboxEntry[] {
    return this.inboxes.get(name) ?? [];
  }

  clear(name: string): void {
    this.inboxes.delete(name);
  }
}

/** Headers worth showing: the webhook's own and the signature, not transport noise. */
const SHOWN_HEADERS = /^(content-type|user-agent|authorization|webhook-.*|x-.*|best_number)$/i;

export function devInboxRoutes(inbox: DevInbox): FastifyPluginAsync {
  return async (app) => {
    const params = {
      type: "object",
      properties: { name: { type: "string", pattern: NAME_PATTERN } },
      required: ["name"],
    } as const;
    app.post(
      "/dev/inbox/:name",
      {
        schema: {
          summary: "Receive a webhook delivery (segwatch dev only)",
          tags: ["dev"],
          params,
          response: {
            200: {
              type: "object",
              properties: { status: { type: "integer" }, message: { type: "string" } },
            },
          },
        },
      },
      async (req) => {
        const { name } = req.params as { name: string };
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === "string" && SHOWN_HEADERS.test(k)) headers[k] = v;
        }
        inbox.add(name, { receivedAt: new Date().toISOString(), headers, body: req.body ?? null });
        return { status: 200, message: "received" };
      },
    );
    app.get(
      "/dev/inbox/:name",
      {
        schema: {
          summary: "What the dev inbox received, oldest first",
          tags: ["dev"],
          params,
          response: {
            200: {
              type: "object",
              properties: {
                data: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      receivedAt: { type: "string" },
                      headers: { type: "object", additionalProperties: { type: "string" } },
                      body: {},
                    },
                  },
                },
              },
            },
          },
        },
      },
      async (req) => ({ data: inbox.list((req.params as { name: string }).name) }),
    );
    app.delete(
      "/dev/inbox/:name",
      {
        schema: {
          summary: "Empty a dev inbox",
          tags: ["dev"],
          params,
          response: { 204: { type: "null" } },
        },
      },
      async (req, reply) => {
        inbox.clear((req.params as { name: string }).name);
        return reply.code(204).send();
      },
    );
  };
}
