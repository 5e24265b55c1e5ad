// The controller logs through this interface, so the CLI decides the format (and tests stay quiet).

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, error() {} };

/** One JSON object per line on stderr. */
export const jsonLogger: Logger = {
  info: (message, fields) => writeLine("info", message, fields),
  error: (message, fields) => writeLine("error", message, fields),
};

function writeLine(level: string, message: string, fields?: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level, component: "controller", msg: message, ...fields })}\n`,
  );
}
