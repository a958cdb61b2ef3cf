import { describe, expect, it } from "vitest";
import { Authenticator, parseCredentialFile, splitCsvLine } from "./auth.ts";

const tokens = parseCredentialFile('# comment\nsecret-token,alice,1,"admins,devs"\nother,bob,2\n', "token file");
const basic = parseCredentialFile("pw,carol,3,ops\n", "basic auth file");

describe("credential files", () => {
  it("parses quoted group lists", () => {
    expect(splitCsvLine('a,b,c,"x,y"')).toEqual(["a", "b", "c", "x,y"]);
    expect(tokens.map((t) => [t.user, t.uid, t.groups])).toEqual([
      ["alice", "1", ["admins", "devs"]],
      ["bob", "2", []],
    ]);
  });

  it("names the file and line of a malformed entry", () => {
    expect(() => parseCredentialFile("ok,u,1\nbroken\n", "token file")).toThrow(
      "token file line 2: expected secret,user,uid",
    );
    expect(() => parseCredentialFile('a,b,1,"open\n', "token file")).toThrow("token file line 1: unterminated quote");
  });
});

describe("Authenticator", () => {
  const auth = new Authenticator({ tokens, basic, anonymous: false });

  it("accepts a known bearer token and basic credentials", () => {
    expect(auth.authenticate({ headers: { authorization: "Bearer secret-token" } })).toEqual({
      user: "alice",
      uid: "1",
      groups: ["admins", "devs", "system:authenticated"],
    });
    expect(
      auth.authenticate({ headers: { authorization: `Basic ${Buffer.from("carol:pw").toString("base64")}` } }).user,
    ).toBe("carol");
  });

  it.each([
    [{ authorization: "Bearer wrong" }],
    [{ authorization: `Basic ${Buffer.from("carol:nope").toString("base64")}` }],
    [{ authorization: `Basic ${Buffer.from("alice:secret-token").toString("base64")}` }],
    [{}],
  ])("refuses %j with 401 Unauthorized", (headers) => {
    expect(() => auth.authenticate({ headers })).toThrow(
      expect.objectContaining({ reason: "Unauthorized", code: 401 }),
    );
  });

  it("lets anonymous requests in only when enabled", () => {
    const anon = new Authenticator({ tokens, basic, anonymous: true });
    expect(anon.authenticate({ headers: {} }).user).toBe("system:anonymous");
    expect(() => anon.authenticate({ headers: { authorization: "Bearer wrong" } })).toThrow("Unauthorized");
  });
});

describe("client certificates", () => {
  const auth = new Authenticator({ tokens: [], basic: [], anonymous: false, clientCertificates: true });
  const socket = (authorized: boolean, subject: Record<string, string | string[]>) => ({
    authorized,
    getPeerCertificate: () => ({ subject }),
  });

  it("take the user from CN and the groups from every O, once the handshake verified the chain", () => {
    expect(auth.authenticate({ headers: {}, socket: socket(true, { CN: "dora", O: ["ops", "devs"] }) })).toEqual({
      user: "dora",
      uid: "",
      groups: ["ops", "devs", "system:authenticated"],
    });
  });

  it("get 401 when the chain or the validity period did not verify, or there is no CN", () => {
    expect(() => auth.authenticate({ headers: {}, socket: socket(false, { CN: "dora" }) })).toThrow("Unauthorized");
    expect(() => auth.authenticate({ headers: {}, socket: socket(true, { O: "ops" }) })).toThrow("Unauthorized");
  });

  it("are not read when the server has no client CA", () => {
    const noCa = new Authenticator({ tokens: [], basic: [], anonymous: true });
    expect(noCa.authenticate({ headers: {}, socket: socket(true, { CN: "dora" }) }).user).toBe("system:anonymous");
  });
});
