// The public surface of `segwatch api` for the CLI and `segwatch dev`.

export type { ReadinessCheck } from "../health/readiness.ts";
export {
  type ApiDeps,
  buildApi,
  closeGracefully,
  type RunApiOptions,
  type RunningApi,
  runApi,
} from "./app.ts";
export type { SchemaLookup } from "./collect.ts";
export {
  type ApiConfig,
  ApiConfigError,
  apiConfig,
  apiConfigFromEnv,
  type ListenConfig,
  parseTokens,
} from "./config.ts";
export { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_BODY_LIMIT } from "./defaults.ts";
export { API_ERRORS, ApiError, type ApiErrorCode } from "./errors.ts";
export { ApiMetrics } from "./metrics.ts";
export {
  type EventMessage,
  type EventPublisher,
  jetStreamClientPublisher,
  jetStreamEventPublisher,
  WindowedPublisher,
} from "./publisher.ts";
