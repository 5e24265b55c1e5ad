// The controller's public surface: what `segwatch dev`, `segwatch controller` and `segwatch status`
// use, and what the REST API and the Kubernetes source share (reasons, conditions).

export {
  type ConditionInput,
  findCondition,
  isTrue,
  readySummary,
  setCondition,
  setConditions,
} from "./conditions.ts";
export { Controller, type ControllerOptions, runController } from "./controller.ts";
export {
  CONTROLLER_DEFAULTS,
  type ControllerSettings,
  generatedSigningSecretName,
  inlineSegmentName,
} from "./defaults.ts";
export { jsonLogger, type Logger, silentLogger } from "./logger.ts";
export { ConditionType, Reason } from "./reasons.ts";
export { evaluateSegment, type SegmentOutcome } from "./segment-compile.ts";
export {
  indexSegments,
  lookupSegment,
  type SegmentFacts,
  type SegmentIndex,
  segmentFacts,
} from "./segment-index.ts";
export {
  type RunStatusOptions,
  renderStatus,
  runStatus,
  type StatusReportOptions,
} from "./status-report.ts";
