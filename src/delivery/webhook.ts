// The webhook channel: POST the payload as application/json with the subscription's headers and the
// Standard Webhooks signature, through one undici Agent (a keep-alive Pool per origin) whose sockets
// only ever reach addresses the target policy allows. With a Segment write key, the same message also
// becomes an identify call to Segment's tracking API.

import { Agent, type Dispatcher } from "undici";
import type { SubscriptionRecord } from "../controller/records.ts";
import type { ChannelTarget, DeliveryChannel, DeliveryItem, DeliveryOutcome } from "./channel.ts";
import { WEBHOOK_DEFAULTS } from "./defaults.ts";
import { ChannelConfigError, DeliveryWorkerError, describeError } from "./errors.ts";
import { guardedConnector, type LookupAll } from "./guarded-connect.ts";
import { combineOutcomes, errorOutcome, permanent, responseOutcome, SUCCESS } from "./outcome.ts";
import { IDENTIFY_PATH, identifyCall, segmentAuthorization } from "./segment-identify.ts";
import { decodeSigningSecret, type SigningKey, standardWebhookHeaders } from "./signing.ts";
import type { TargetPolicyOptions } from "./target-policy.ts";

export interface WebhookChannelOptions {
  /** Which address classes webhooks may reach (default: public addresses only). */
  readonly targetPolicy?: TargetPolicyOptions;
  /**
   * Base URL of Segment's tracking API for identify calls (default https://api.segment.io). It is the
   * operator's configuration, not a tenant's, so the target policy does not apply to it.
   */
  readonly segmentEndpoint?: string;
  readonly userAgent?: string;
  readonly connectTimeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
  /** The clock for signatures and Retry-After dates (tests). */
  readonly now?: () => number;
  /** DNS resolution for webhook targets (tests); the system resolver by default. */
  readonly lookup?: LookupAll;
}

/** Parts of a message, recorded in DeliveryItem.progress. */
const PART = { webhook: "webhook", identify: "identify" } as const;

/** Headers the request itself owns; a subscription cannot set them. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection",
]);

const JSON_TYPE = "application/json";

export function createWebhookChannel(opts: WebhookChannelOptions = {}): DeliveryChannel {
  return new WebhookChannel(opts);
}

class WebhookChannel implements DeliveryChannel {
  readonly name = "webhook" as const;
  readonly maxBatch = 1;
  readonly #agent: Agent;
  readonly #segmentAgent: Agent;
  readonly #segment: { origin: string; path: string };
  readonly #userAgent: string;
  readonly #now: () => number;

  constructor(opts: WebhookChannelOptions) {
    const keepAliveTimeout = opts.keepAliveTimeoutMs ?? WEBHOOK_DEFAULTS.keepAliveTimeoutMs;
    const connectTimeout = opts.connectTimeoutMs ?? WEBHOOK_DEFAULTS.connectTimeoutMs;
    this.#agent = new Agent({
      connect: guardedConnector(opts.targetPolicy ?? {}, { timeout: connectTimeout }, opts.lookup),
      keepAliveTimeout,
      // Concurrency is bounded per subscription by the worker; the pool only reuses sockets.
      connections: null,
      pipelining: 1,
    });
    this.#segmentAgent = new Agent({ connect: { timeout: connectTimeout }, keepAliveTimeout });
    const endpoint = parseHttpUrl(opts.segmentEndpoint ?? WEBHOOK_DEFAULTS.segmentEndpoint);
    if (!endpoint) {
      throw new DeliveryWorkerError(
        `segment endpoint ${opts.segmentEndpoint} is not an http(s) URL`,
      );
    }
    this.#segment = {
      origin: endpoint.origin,
      path: `${endpoint.pathname.replace(/\/+$/, "")}${IDENTIFY_PATH}`,
    };
    this.#userAgent = opts.userAgent ?? WEBHOOK_DEFAULTS.userAgent;
    this.#now = opts.now ?? Date.now;
  }

  open(record: SubscriptionRecord): ChannelTarget {
    const hook = record.webhook;
    if (!hook?.url) throw new ChannelConfigError(record.id, "no webhook URL");
    const url = parseHttpUrl(hook.url);
    if (!url)
      throw new ChannelConfigError(
        record.id,
        `webhook URL ${JSON.stringify(hook.url)} is not an http(s) URL`,
      );
    const headers: Record<string, string> = { "user-agent": this.#userAgent };
    for (const [name, value] of Object.entries(hook.headers ?? {})) {
      const lower = name.toLowerCase();
      if (!RESERVED_HEADERS.has(lower) && !lower.startsWith("webhook-")) headers[lower] = value;
    }
    if (url.username && headers.authorization === undefined) {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    }
    headers["content-type"] = JSON_TYPE;
    let keys: SigningKey[];
    try {
      keys = (hook.signingSecrets ?? []).map(decodeSigningSecret);
    } catch (err) {
      throw new ChannelConfigError(record.id, `signing secret: ${describeError(err)}`, {
        cause: err,
      });
    }
    // During a rotation the record lists a second secret until an instant; past it, sign with the first.
    const expiry =
      keys.length > 1 ? Date.parse(hook.previousSigningSecretExpiresAt ?? "") : Number.NaN;
    const writeKey = hook.segmentioWriteKey;
    return new WebhookTarget({
      agent: this.#agent,
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      headers,
      keys,
      previousKeyExpiresAt: Number.isNaN(expiry) ? undefined : expiry,
      timeoutMs: record.delivery.timeoutMs,
      now: this.#now,
      identify: writeKey
        ? {
            agent: this.#segmentAgent,
            ...this.#segment,
            headers: {
              authorization: segmentAuthorization(writeKey),
              "content-type": JSON_TYPE,
              "user-agent": this.#userAgent,
            },
          }
        : undefined,
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent.close(), this.#segmentAgent.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#agent.destroy(), this.#segmentAgent.destroy()]);
  }
}

interface TargetSettings {
  readonly agent: Dispatcher;
  readonly origin: string;
  readonly path: string;
  /** Lower-case names; signing headers are added per attempt. */
  readonly headers: Readonly<Record<string, string>>;
  readonly keys: readonly SigningKey[];
  /** When the keys after the first stop being used (ms since the epoch). */
  readonly previousKeyExpiresAt: number | undefined;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly identify:
    | {
        readonly agent: Dispatcher;
        readonly origin: string;
        readonly path: string;
        readonly headers: Record<string, string>;
      }
    | undefined;
}

class WebhookTarget implements ChannelTarget {
  readonly #s: TargetSettings;

  constructor(settings: TargetSettings) {
    this.#s = settings;
  }

  deliver(items: readonly DeliveryItem[]): Promise<DeliveryOutcome[]> {
    if (items.length === 1) return this.#one(items[0]!).then(inArray);
    return Promise.all(items.map((i) => this.#one(i)));
  }

  #one(item: DeliveryItem): Promise<DeliveryOutcome> {
    // One request per message: nothing to remember across attempts.
    if (this.#s.identify === undefined) return this.#post(item);
    return this.#both(item);
  }

  async #both(item: DeliveryItem): Promise<DeliveryOutcome> {
    const hook = item.progress.has(PART.webhook)
      ? SUCCESS
      : this.#post(item).then((o) => {
          if (o.kind === "success") item.progress.add(PART.webhook);
          return o;
        });
    if (item.progress.has(PART.identify)) return hook;
    const [a, b] = await Promise.all([hook, this.#identify(item)]);
    return combineOutcomes([a, b]);
  }

  #post(item: DeliveryItem): Promise<DeliveryOutcome> {
    const s = this.#s;
    const now = s.now();
    const keys =
      s.previousKeyExpiresAt !== undefined && now >= s.previousKeyExpiresAt
        ? s.keys.slice(0, 1)
        : s.keys;
    // The subscription's headers cannot collide: open() keeps webhook-* and reserved names out.
    const headers = Object.assign(
      standardWebhookHeaders(keys, item.envelope.msgId, now, item.body),
      s.headers,
    );
    return send(s.agent, "webhook", s.origin, s.path, headers, item.body, s.timeoutMs, s.now);
  }

  async #identify(item: DeliveryItem): Promise<DeliveryOutcome> {
    const id = this.#s.identify!;
    let body: string;
    try {
      body = JSON.stringify(
        identifyCall(
          JSON.parse(Buffer.from(item.body).toString("utf8")),
          item.envelope,
          this.#s.now(),
        ),
      );
    } catch (err) {
      return permanent(`segment identify: ${describeError(err)}`);
    }
    const outcome = await send(
      id.agent,
      "segment identify",
      id.origin,
      id.path,
      id.headers,
      body,
      this.#s.timeoutMs,
      this.#s.now,
    );
    if (outcome.kind === "success") item.progress.add(PART.identify);
    return outcome;
  }
}

/**
 * One POST through `dispatch` with a small handler: a response body stream per request (what
 * `request()` builds) costs more than the rest of a delivery. Only an error response's first bytes are
 * kept, for the error text.
 */
function send(
  agent: Dispatcher,
  what: string,
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array | string,
  timeoutMs: number,
  now: () => number,
): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    const handler = new ResponseHandler(what, now, resolve);
    try {
      agent.dispatch(
        {
          origin,
          path,
          method: "POST",
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    } catch (err) {
      handler.settle(errorOutcome(what, err));
    }
  });
}

/** One response's outcome; a class rather than closures, as there is one per delivery. */
class ResponseHandler implements Dispatcher.DispatchHandler {
  readonly #what: string;
  readonly #now: () => number;
  #resolve: ((o: DeliveryOutcome) => void) | undefined;
  #status = 0;
  #retryAfter: string | undefined;
  #chunks: Buffer[] | undefined;
  #size = 0;

  constructor(what: string, now: () => number, resolve: (o: DeliveryOutcome) => void) {
    this.#what = what;
    this.#now = now;
    this.#resolve = resolve;
  }

  settle(o: DeliveryOutcome): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(o);
  }

  onRequestStart(): void {}

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    responseHeaders: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    if (statusCode < 200 || statusCode > 299) {
      this.#chunks = [];
      const ra = responseHeaders["retry-after"];
      this.#retryAfter = Array.isArray(ra) ? ra[0] : ra;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#chunks !== undefined && this.#size < WEBHOOK_DEFAULTS.errorBodyBytes) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
    }
  }

  onResponseEnd(): void {
    if (this.#chunks === undefined) {
      this.settle(SUCCESS);
      return;
    }
    const detail = Buffer.concat(this.#chunks)
      .subarray(0, WEBHOOK_DEFAULTS.errorBodyBytes)
      .toString("utf8");
    this.settle(responseOutcome(this.#what, this.#status, this.#retryAfter, detail, this.#now()));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.settle(errorOutcome(this.#what, err));
  }
}

function inArray(o: DeliveryOutcome): DeliveryOutcome[] {
  return [o];
}

function parseHttpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
