import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newServiceAccountKey, newToken, renderTokenFile } from "./credentials.ts";

describe("token file", () => {
  it("has one CSV line per token with the groups quoted", () => {
    const text = renderTokenFile([
      { token: "t1", user: "admin", uid: "u1", groups: ["system:masters"] },
      { token: "t2", user: "system:serviceaccount:ns:sa", uid: "u2", groups: ["a", "b"] },
    ]);
    expect(text).toBe('t1,admin,u1,"system:masters"\nt2,system:serviceaccount:ns:sa,u2,"a,b"\n');
  });

  it("refuses values that would break the CSV", () => {
    expect(() => renderTokenFile([{ token: "t", user: 'a"b', uid: "u", groups: [] }])).toThrow(
      /user/,
    );
    expect(() => renderTokenFile([{ token: "t", user: "a", uid: "u", groups: ["x,y"] }])).toThrow(
      /groups/,
    );
    expect(() => renderTokenFile([{ token: "", user: "a", uid: "u", groups: [] }])).toThrow(
      /token/,
    );
  });
});

describe("credentials", () => {
  it("tokens are long, random and hex", () => {
    const a = newToken();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newToken()).not.toBe(a);
  });

  it("the ServiceAccount key is a 2048-bit RSA private key in PEM", () => {
    const key = createPrivateKey(newServiceAccountKey());
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
