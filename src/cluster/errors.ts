// Errors of the local control plane. Each names what failed and, for a process, quotes the end of its
// log, so a failed start can be diagnosed from the message alone.

export class ClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A binary tools/build.sh builds is missing. */
export class BinaryMissingError extends ClusterError {
  readonly binary: string;
  readonly path: string;
  constructor(binary: string, path: string, envVar: string) {
    super(
      `${binary} is not built: ${path} is missing. Run \`tools/build.sh\` (or \`npm run tools\`) from the repository root, or point ${envVar} at a ${binary} binary.`,
    );
    this.binary = binary;
    this.path = path;
  }
}

/** A component exited, or did not become ready in time, while the control plane started. */
export class ComponentStartError extends ClusterError {
  readonly component: string;
  readonly logTail: string;
  constructor(component: string, problem: string, logTail: string, options?: { cause?: unknown }) {
    super(`${component}: ${problem}. Last lines of its log:\n${logTail || "(empty)"}`, options);
    this.component = component;
    this.logTail = logTail;
  }
}

/** The state file of `segwatch cluster` is missing or malformed. */
export class ClusterStateError extends ClusterError {}

/** `segwatch cluster up` found a control plane of the same state directory still running. */
export class ClusterRunningError extends ClusterError {}

/** A CRD did not reach Established (names accepted, served). */
export class CrdNotEstablishedError extends ClusterError {}
