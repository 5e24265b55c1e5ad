// Defaults of the long-running subcommands' process plumbing.

/** The probe listener of controller and evaluator listens on all interfaces (kubelet probes the pod IP). */
export const DEFAULT_HEALTH_HOST = "0.0.0.0";
