// Prometheus metrics of the API: requests by route and status with their latency, events accepted
// and rejected per namespace, and how long JetStream takes to acknowledge a request's events. Each
// app has its own registry (several apps can live in one process: tests, `segwatch dev`).

import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const LATENCY_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Why collect rejected events (the `reason` label): the error codes of the catalogue. */
export type RejectReason =
  | "invalid_json"
  | "invalid_event"
  | "missing_identity"
  | "empty_body"
  | "payload_too_large"
  | "publish_failed";

export class ApiMetrics {
  readonly registry: Registry;
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly duration: Histogram<"method" | "route" | "status">;
  private readonly accepted: Counter<"namespace">;
  private readonly rejected: Counter<"namespace" | "reason">;
  private readonly publishSeconds: Histogram;
  private readonly batchSize: Histogram;
  private inFlightSource: () => number = () => 0;
  /** Label children by "method route status": the hot path skips prom-client's label hashing. */
  private readonly children = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<"method" | "route" | "status"> }
  >();

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.requests = new Counter({
      name: "segwatch_api_requests_total",
      help: "HTTP requests answered, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: "segwatch_api_request_duration_seconds",
      help: "Time from receiving a request to answering it, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    });
    this.accepted = new Counter({
      name: "segwatch_collect_events_accepted_total",
      help: "Events stored in JetStream (acknowledged) by POST /collect/json/:stream.",
      labelNames: ["namespace"],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: "segwatch_collect_events_rejected_total",
      help: "Events refused by POST /collect/json/:stream (a rejected request counts all of its events, or 1 when unreadable).",
      labelNames: ["namespace", "reason"],
      registers: [registry],
    });
    this.publishSeconds = new Histogram({
      name: "segwatch_collect_publish_duration_seconds",
      help: "Time for JetStream to acknowledge every event of one collect request.",
      buckets: LATENCY_BUCKETS_S,
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: "segwatch_collect_batch_events",
      help: "Events per collect request.",
      buckets: [1, 2, 5, 10, 50, 100, 500, 1000, 5000],
      registers: [registry],
    });
    const source = () => this.inFlightSource();
    new Gauge({
      name: "segwatch_collect_publishes_in_flight",
      help: "JetStream publishes awaiting their acknowledgement.",
      registers: [registry],
      collect() {
        this.set(source());
      },
    });
  }

  /** Process metrics (CPU, memory, event loop lag): once per process, by whoever runs the server. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry, prefix: "segwatch_api_" });
  }

  trackPublishesInFlight(source: () => number): void {
    this.inFlightSource = source;
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let c = this.children.get(key);
    if (!c) {
      const labels = { method, route, status: String(status) };
      c = { count: this.requests.labels(labels), time: this.duration.labels(labels) };
      this.children.set(key, c);
    }
    c.count.inc();
    c.time.observe(seconds);
  }

  eventsAccepted(namespace: string, n: number, publishSeconds: number): void {
    this.accepted.inc({ namespace }, n);
    this.publishSeconds.observe(publishSeconds);
    this.batchSize.observe(n);
  }

  eventsRejected(namespace: string, reason: RejectReason, n: number): void {
    this.rejected.inc({ namespace, reason }, n);
  }
}

/** Counts every answer (onResponse) and serves GET /metrics. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, opts: { metrics: ApiMetrics }) => {
    const { metrics } = opts;
    app.addHook("onResponse", (request, reply, done) => {
      metrics.request(
        request.method,
        request.routeOptions.url ?? "unmatched",
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
    app.get(
      "/metrics",
      {
        schema: {
          summary: "Prometheus metrics",
          tags: ["operations"],
          produces: ["text/plain"],
          response: {
            200: { type: "string", description: "Prometheus text exposition format." },
          },
        },
      },
      async (_request, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  },
  { name: "segwatch-metrics", fastify: "5.x" },
);
