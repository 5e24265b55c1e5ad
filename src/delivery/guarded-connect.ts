// The target policy at the socket: a DNS lookup that only hands out allowed addresses, and an undici
// connector that checks IP literals before connecting and the peer address after. Checking the
// addresses actually connected to — not the URL's hostname once — is what defeats DNS rebinding, where
// a name resolves to a public address when validated and to an internal one when used.

import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import { isIP, type LookupFunction, type Socket } from "node:net";
import { buildConnector } from "undici";
import { TargetRefusedError } from "./errors.ts";
import { describeClass, refusedClass, type TargetPolicyOptions } from "./target-policy.ts";

/** The one form of dns.lookup this module calls; tests pass a fake. */
export type LookupAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemLookup: LookupAll = (hostname, options, callback) =>
  dnsLookup(hostname, options, callback);

/**
 * A `lookup` for net/tls.connect that drops refused addresses; when none is left it fails with a
 * TargetRefusedError naming the first one. Works for both callers' shapes (`all: true` is what Node's
 * happy-eyeballs connect asks for).
 */
export function guardedLookup(
  policy: TargetPolicyOptions,
  lookup: LookupAll = systemLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, options.all ? [] : "", undefined);
        return;
      }
      const allowed = addresses.filter((a) => refusedClass(a.address, policy) === undefined);
      const first = addresses[0];
      if (allowed.length === 0 || first === undefined) {
        const refused =
          first === undefined
            ? new TargetRefusedError(hostname, "(no address)", "unresolvable")
            : new TargetRefusedError(
                hostname,
                first.address,
                describeClass(refusedClass(first.address, policy) ?? ""),
              );
        callback(refused, options.all ? [] : "", undefined);
        return;
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** An undici `connect` function that enforces `policy` (pass it as the Agent's `connect`). */
export function guardedConnector(
  policy: TargetPolicyOptions,
  options: buildConnector.BuildOptions = {},
  lookup?: LookupAll,
): buildConnector.connector {
  const connect = buildConnector({
    ...options,
    lookup: guardedLookup(policy, lookup),
  } as buildConnector.BuildOptions);
  return (opts, callback) => {
    // net.connect skips `lookup` for IP literals.
    if (isIP(opts.hostname) !== 0) {
      const cls = refusedClass(opts.hostname, policy);
      if (cls !== undefined) {
        callback(new TargetRefusedError(opts.hostname, opts.hostname, describeClass(cls)), null);
        return;
      }
    }
    connect(opts, (...args) => {
      const [err, socket] = args;
      if (err || !socket) {
        callback(err ?? new Error("connect failed"), null);
        return;
      }
      // Belt and braces: whatever path the connection took, the peer must be allowed.
      const remote = (socket as Socket).remoteAddress;
      const cls = remote === undefined ? undefined : refusedClass(remote, policy);
      if (remote !== undefined && cls !== undefined) {
        socket.destroy();
        callback(new TargetRefusedError(opts.hostname, remote, describeClass(cls)), null);
        return;
      }
      callback(null, socket);
    });
  };
}
