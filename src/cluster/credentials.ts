// The credentials of a local control plane: bearer tokens (kube-apiserver's static token file) and the
// ServiceAccount signing key.

import { generateKeyPairSync, randomBytes } from "node:crypto";

export interface TokenIdentity {
  readonly user: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

export interface StaticToken extends TokenIdentity {
  readonly token: string;
}

const TOKEN_BYTES = 32;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("hex");
}

const CSV_UNSAFE = /[",\r\n]/;

/**
 * kube-apiserver's --token-auth-file: `token,user,uid,"group1,group2"` per line. The file is CSV;
 * values with quotes, commas or line breaks are refused rather than escaped, as no name here needs them.
 */
export function renderTokenFile(tokens: readonly StaticToken[]): string {
  const lines = tokens.map((t) => {
    for (const [field, value] of [
      ["token", t.token],
      ["user", t.user],
      ["uid", t.uid],
      ...t.groups.map((g) => ["groups", g] as const),
    ] as const) {
      if (value === "" || CSV_UNSAFE.test(value)) {
        throw new Error(
          `token file: ${field} ${JSON.stringify(value)} is empty or contains " , or a line break`,
        );
      }
    }
    return `${t.token},${t.user},${t.uid},"${t.groups.join(",")}"`;
  });
  return `${lines.join("\n")}\n`;
}

/** An RSA key (PKCS#8 PEM) for signing and verifying ServiceAccount tokens. */
export function newServiceAccountKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}
