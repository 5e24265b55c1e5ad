// A message's header block as the bytes nats.js received. nats.js keeps them and decodes them into
// a MsgHdrs on first use of `headers`, validating and canonicalizing every name on the way; a reader
// that needs a few known headers of every message can skip that. This reads fields nats.js does not
// export (MsgImpl `_rdata`, `_msg.hdr`), so it checks their shape and answers undefined when they
// differ — another nats.js version — and the caller falls back to `headers`.

import type { JsMsg } from "@nats-io/jetstream";

interface ReceivedMsg {
  readonly _rdata?: unknown;
  readonly _msg?: { readonly hdr?: unknown };
}

const decoder = new TextDecoder();

/** The header block ("NATS/1.0\r\n…") of a received message; undefined when unknown or absent. */
export function rawHeaderBlock(m: JsMsg): string | undefined {
  const received = (m as unknown as { readonly msg?: ReceivedMsg }).msg;
  const data = received?._rdata;
  const length = received?._msg?.hdr;
  if (!(data instanceof Uint8Array) || typeof length !== "number" || length <= 0) return undefined;
  if (length > data.length) return undefined;
  return decoder.decode(data.subarray(0, length));
}
