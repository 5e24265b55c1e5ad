// `segwatch api`: the fastify app (buildApi) and the process around it (runApi: connect, bootstrap,
// listen, and on stop finish what is in flight before closing). Route families are plugins; the
// protected ones sit in one context behind the token check, the operational ones outside it.

import { readFileSync } from "node:fs";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { RegistryCache } from "../controller/registry-cache.ts";
import { DeadLetterQueue } from "../delivery/dead-letters.ts";
import { natsConnectivity, type ReadinessCheck, shutdownCheck } from "../health/readiness.ts";
import { type BootstrapOptions, bootstrap } from "../nats/bootstrap.ts";
import { connectNats, type NatsSettings } from "../nats/connection.ts";
import type { ResourceSource } from "../resources/source.ts";
import { authDecorations, requireToken, TokenTable } from "./auth.ts";
import { collectRoutes, type SchemaLookup } from "./collect.ts";
import {
  type ApiConfig,
  ApiConfigError,
  apiConfig,
  apiConfigFromEnv,
  type ListenConfig,
} from "./config.ts";
import { deadLetterRoutes } from "./dead-letters.ts";
import { DEFAULT_LOG_LEVEL, DEFAULT_SHUTDOWN_GRACE_MS } from "./defaults.ts";
import { errorsPlugin } from "./errors.ts";
import { healthRoutes } from "./health.ts";
import { ApiMetrics, metricsPlugin } from "./metrics.ts";
import { openApiPlugin } from "./openapi.ts";
import { type EventPublisher, jetStreamEventPublisher } from "./publisher.ts";
import { segmentSchema, subscriptionSchema } from "./schemas.ts";
import { segmentRoutes } from "./segments.ts";
import { subscriptionRoutes } from "./subscriptions.ts";

export interface ApiDeps {
  /** Where segments and subscriptions live: the only store the REST routes read and write. */
  readonly source: ResourceSource;
  /** The namespaces' identity fields (a RegistryCache). */
  readonly registry: SchemaLookup;
  /** Where collected events go; default: JetStream over `nats`. */
  readonly publisher?: EventPublisher;
  /** Used for the default publisher and for /readyz. The app never closes it. */
  readonly nats?: NatsConnection;
  readonly config?: Partial<ApiConfig>;
  /** fastify's logger option (default off), or a pino-compatible logger instance. */
  readonly logger?: FastifyServerOptions["logger"];
  readonly loggerInstance?: FastifyBaseLogger;
  /**
   * A log line per request (default off: at collect's rates it would dominate the logs; /metrics
   * counts requests, and errors are logged either way).
   */
  readonly requestLogging?: boolean;
  /** Default: a fresh registry per app. */
  readonly metrics?: ApiMetrics;
  /** More /readyz checks (runApi adds "shutting down"). */
  readonly readiness?: readonly ReadinessCheck[];
  /**
   * Route plugins served without a token (`segwatch dev`'s inbox). They share the error handler,
   * metrics and OpenAPI document of the rest.
   */
  readonly publicRoutes?: readonly FastifyPluginAsync[];
  readonly clock?: () => Date;
  /** The DLQ behind /api/subscription/:id/deadletters (runApi passes one); without it they answer 503. */
  readonly deadLetters?: DeadLetterQueue;
}

/** The fastify app with every route; call `ready()`, `inject()` or `listen()` on it. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const config = apiConfig(deps.config);
  if (!deps.publisher && !deps.nats)
    throw new ApiConfigError("buildApi needs a publisher or a NATS connection");
  const ownPublisher = deps.publisher
    ? undefined
    : jetStreamEventPublisher(deps.nats!, config.publishWindow);
  const publisher = (deps.publisher ?? ownPublisher)!;
  const metrics = deps.metrics ?? new ApiMetrics();
  metrics.trackPublishesInFlight(() => publisher.inFlight());
  const connectivity = deps.nats ? natsConnectivity(deps.nats) : undefined;
  const clock = deps.clock ?? (() => new Date());

  const app = Fastify({
    ...(deps.loggerInstance
      ? { loggerInstance: deps.loggerInstance }
      : { logger: withRedaction(deps.logger ?? false) }),
    bodyLimit: config.bodyLimit,
    logController: new LogController({ disableRequestLogging: !deps.requestLogging }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    ajv: {
      // Unknown fields are errors (not silently dropped), types are not coerced ("true" is not a
      // boolean), and every problem of a body is reported at once.
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
        useDefaults: false,
      },
    },
  });

  void app.register(errorsPlugin);
  void app.register(authDecorations);
  void app.register(openApiPlugin, { version: PACKAGE_VERSION });
  app.addSchema(segmentSchema);
  app.addSchema(subscriptionSchema);
  void app.register(metricsPlugin, { metrics });
  void app.register(healthRoutes, {
    checks: [...(connectivity ? [connectivity] : []), ...(deps.readiness ?? [])],
  });
  for (const routes of deps.publicRoutes ?? []) void app.register(routes);
  const tokens = new TokenTable(config.tokens);
  if (config.tokens.size === 0)
    app.log.warn("no API tokens are configured: every authenticated route answers 401");
  void app.register(async (api) => {
    api.addHook("onRequest", requireToken(tokens));
    await api.register(collectRoutes, {
      publisher,
      registry: deps.registry,
      partitions: config.partitions,
      bodyLimit: config.bodyLimit,
      metrics,
      clock,
    });
    await api.register(segmentRoutes, { source: deps.source, clock });
    await api.register(subscriptionRoutes, { source: deps.source, clock });
    await api.register(deadLetterRoutes, { source: deps.source, deadLetters: deps.deadLetters });
  });

  app.addHook("onClose", async () => {
    connectivity?.stop();
    await ownPublisher?.close();
  });
  return app;
}

export interface RunApiOptions {
  readonly source: ResourceSource;
  /** NATS settings (default from the environment), unless `connection` is given. */
  readonly nats?: NatsSettings;
  /** An existing connection: used as is and left open on stop. */
  readonly connection?: NatsConnection;
  /** An open registry view to share (`segwatch dev`); left running on stop. */
  readonly registry?: RegistryCache;
  readonly bootstrap?: BootstrapOptions;
  /** Overrides of what the environment says (SEGWATCH_API_TOKEN(S), SEGWATCH_API_BODY_LIMIT, SEGWATCH_PARTITIONS). */
  readonly config?: Partial<ApiConfig>;
  /** Overrides of SEGWATCH_API_HOST / SEGWATCH_API_PORT (port 0: any free port). */
  readonly listen?: Partial<ListenConfig>;
  readonly env?: NodeJS.ProcessEnv;
  /** fastify's logger option; default: JSON logs at SEGWATCH_LOG_LEVEL (default info). */
  readonly logger?: FastifyServerOptions["logger"];
  readonly loggerInstance?: FastifyBaseLogger;
  /** A log line per request (default off). */
  readonly requestLogging?: boolean;
  /** Route plugins served without a token (see ApiDeps.publicRoutes). */
  readonly publicRoutes?: readonly FastifyPluginAsync[];
  /** After stop() began, connections still busy after this long are cut. */
  readonly shutdownGraceMs?: number;
  /** CPU, memory and event-loop metrics of the process (default true; once per process). */
  readonly processMetrics?: boolean;
}

export interface RunningApi {
  readonly app: FastifyInstance;
  /** http://host:port, with 127.0.0.1 for a wildcard host. */
  readonly url: string;
  readonly port: number;
  readonly metrics: ApiMetrics;
  /** Stops accepting, lets in-flight requests finish (their events acked), then closes. Idempotent. */
  stop(): Promise<void>;
}

export async function runApi(options: RunApiOptions): Promise<RunningApi> {
  const env = options.env ?? process.env;
  const fromEnv = apiConfigFromEnv(env);
  const config = apiConfig({ ...fromEnv.config, ...options.config });
  if (config.tokens.size === 0)
    throw new ApiConfigError(
      "no API tokens: set SEGWATCH_API_TOKEN (namespace default) or SEGWATCH_API_TOKENS (token=namespace,…)",
    );
  const listen = { ...fromEnv.listen, ...options.listen };
  const nc = options.connection ?? (await connectNats("segwatch-api", options.nats));
  const ownConnection = options.connection === undefined;
  let registry: RegistryCache | undefined = options.registry;
  let ownRegistry = false;
  try {
    const buckets = await bootstrap(nc, options.bootstrap);
    let registryError: string | undefined;
    if (!registry) {
      registry = await RegistryCache.open(buckets.registry, (err) => {
        registryError = err.message;
      });
      ownRegistry = true;
    }
    let stopping = false;
    const metrics = new ApiMetrics();
    if (options.processMetrics ?? true) metrics.collectProcessMetrics();
    const deadLetters = new DeadLetterQueue({
      jsm: await jetstreamManager(nc),
      js: jetstream(nc),
      registry: buckets.registry,
    });
    const app = buildApi({
      source: options.source,
      registry,
      nats: nc,
      deadLetters,
      config,
      metrics,
      ...(options.loggerInstance
        ? { loggerInstance: options.loggerInstance }
        : { logger: options.logger ?? { level: env.SEGWATCH_LOG_LEVEL || DEFAULT_LOG_LEVEL } }),
      ...(options.requestLogging !== undefined ? { requestLogging: options.requestLogging } : {}),
      ...(options.publicRoutes ? { publicRoutes: options.publicRoutes } : {}),
      readiness: [
        {
          name: "registry-watch",
          problem: () =>
            registryError ? `the registry watch failed: ${registryError}` : undefined,
        },
        shutdownCheck(() => stopping, "server"),
      ],
    });
    await app.listen({ host: listen.host, port: listen.port });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : listen.port;
    const host = listen.host === "0.0.0.0" || listen.host === "::" ? "127.0.0.1" : listen.host;
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        stopping = true;
        try {
          await closeGracefully(app, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
        } finally {
          if (ownRegistry) registry?.stop();
          if (ownConnection) await nc.drain().catch(() => nc.close());
        }
      })();
      return stopped;
    };
    return {
      app,
      url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
      port,
      metrics,
      stop,
    };
  } catch (err) {
    if (ownRegistry) registry?.stop();
    if (ownConnection) await nc.close().catch(() => {});
    throw err;
  }
}

/** How often a closing server looks for keep-alive connections that finished their last request. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting, lets the requests in flight finish, then closes. Node closes the connections
 * idle when closing starts; one busy then stays open after its answer until its keep-alive expires,
 * so idle connections are swept until the server is closed, and whatever is still busy after the
 * grace period is cut.
 */
export async function closeGracefully(app: FastifyInstance, graceMs: number): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  const grace = setTimeout(() => app.server.closeAllConnections(), graceMs);
  grace.unref();
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(grace);
  }
}

/** The version in the OpenAPI document. */
export const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
})();

/** Request logs never carry the token a client put in `?key=`. */
function withRedaction(logger: FastifyServerOptions["logger"]): FastifyServerOptions["logger"] {
  if (!logger) return logger;
  const base = typeof logger === "object" ? logger : {};
  return {
    ...base,
    serializers: {
      ...((base as { serializers?: object }).serializers ?? {}),
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactKey(req.url),
        remoteAddress: req.ip,
      }),
    },
  };
}

export function redactKey(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/g, "$1[redacted]");
}
