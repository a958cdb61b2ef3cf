// TSIG against messages real tools produced (fixtures/recorded.json says how they were recorded), and the rules
// of RFC 8945 that those messages alone do not exercise.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DnsError } from "./errors.ts";
import { ResponseVerifier, findTsig, sign, tsigKey, type TsigKey } from "./tsig.ts";
import { encodeQuery, walkMessage } from "./wire.ts";

interface Recorded {
  bind: {
    keyName: string;
    secret: string;
    nsupdate: { request: string; response: string };
    axfr: { request: string; responses: string[] };
    otherAlgorithms: { algorithm: string; request: string; response: string }[];
  };
  knot: { keyName: string; secret: string; axfr: { request: string; responses: string[] } };
}
const recorded = JSON.parse(readFileSync(new URL("./fixtures/recorded.json", import.meta.url), "utf8")) as Recorded;
const bytes = (b64: string) => Buffer.from(b64, "base64");
const bindKey = tsigKey(recorded.bind.keyName, "hmac-sha256", recorded.bind.secret);
const knotKey = tsigKey(recorded.knot.keyName, "hmac-sha256", recorded.knot.secret);

function tsigOf(buf: Buffer) {
  const t = findTsig(buf, walkMessage(buf));
  if (!t) throw new Error("no TSIG in fixture");
  return t;
}

/** The recorded message without its TSIG record, ARCOUNT restored: what the tool signed. */
function stripped(buf: Buffer): Buffer {
  const t = tsigOf(buf);
  const m = Buffer.from(buf.subarray(0, t.record.start));
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

/** Signs what the tool signed, at the tool's time: equal bytes mean an equal MAC over equal TSIG variables. */
function resign(request: Buffer, key: TsigKey) {
  const { fields } = tsigOf(request);
  return sign(stripped(request), key, { timeSigned: fields.timeSigned, fudge: fields.fudge });
}

function verifier(key: TsigKey, requestMac: Buffer, at: number) {
  return new ResponseVerifier(key, requestMac, "test", () => at);
}

function accept(v: ResponseVerifier, buf: Buffer, last = true) {
  v.accept(buf, walkMessage(buf), last);
}

describe("requests signed by nsupdate", () => {
  it("are reproduced byte for byte: same MAC, TSIG record and original id", () => {
    const request = bytes(recorded.bind.nsupdate.request);
    const ours = resign(request, bindKey);
    expect(ours.wire.equals(request)).toBe(true);
    expect(ours.mac.equals(tsigOf(request).fields.mac)).toBe(true);
  });

  it.each(recorded.bind.otherAlgorithms.map((a) => [a.algorithm, a] as const))(
    "are reproduced with %s",
    (algorithm, a) => {
      const request = bytes(a.request);
      expect(tsigOf(request).fields.algorithm).toBe(`${algorithm}.`);
      const ours = resign(request, tsigKey(recorded.bind.keyName, algorithm, recorded.bind.secret));
      expect(ours.wire.equals(request)).toBe(true);
    },
  );

  it("differ when the secret differs", () => {
    const request = bytes(recorded.bind.nsupdate.request);
    const other = tsigKey(recorded.bind.keyName, "hmac-sha256", Buffer.alloc(32, 7).toString("base64"));
    expect(resign(request, other).mac.equals(tsigOf(request).fields.mac)).toBe(false);
  });
});

describe("BIND's signed answer to nsupdate's update", () => {
  const request = bytes(recorded.bind.nsupdate.request);
  const response = bytes(recorded.bind.nsupdate.response);
  const requestMac = tsigOf(request).fields.mac;
  const signedAt = tsigOf(response).fields.timeSigned;

  it("verifies with the request's MAC", () => {
    expect(() => accept(verifier(bindKey, requestMac, signedAt), response)).not.toThrow();
  });

  it("does not verify with another request's MAC: the response MAC covers the request MAC", () => {
    const otherMac = Buffer.from(requestMac);
    otherMac[0]! ^= 1;
    expect(() => accept(verifier(bindKey, otherMac, signedAt), response)).toThrow(/does not verify/);
  });

  it("does not verify when one byte of the message changed", () => {
    const forged = Buffer.from(response);
    forged[3]! ^= 0x05; // the RCODE: NOERROR becomes REFUSED
    expect(() => accept(verifier(bindKey, requestMac, signedAt), forged)).toThrow(/does not verify/);
  });

  it("does not verify when a TSIG variable changed (the fudge)", () => {
    const forged = Buffer.from(response);
    const t = tsigOf(forged);
    const fudgeAt = t.record.rdlengthAt + 2 + 13 /* "hmac-sha256." */ + 6;
    expect(forged.readUInt16BE(fudgeAt)).toBe(t.fields.fudge);
    forged.writeUInt16BE(t.fields.fudge + 1, fudgeAt);
    expect(() => accept(verifier(bindKey, requestMac, signedAt), forged)).toThrow(/does not verify/);
  });

  it("still verifies when a forwarder rewrote the header id: the MAC covers the original id", () => {
    const rewritten = Buffer.from(response);
    rewritten.writeUInt16BE((rewritten.readUInt16BE(0) + 1) & 0xffff, 0);
    expect(() => accept(verifier(bindKey, requestMac, signedAt), rewritten)).not.toThrow();
  });

  it("is refused outside the fudge window (BADTIME), accepted at its edge", () => {
    const { fudge } = tsigOf(response).fields;
    expect(() => accept(verifier(bindKey, requestMac, signedAt + fudge), response)).not.toThrow();
    const late = () => accept(verifier(bindKey, requestMac, signedAt + fudge + 1), response);
    expect(late).toThrow(DnsError);
    expect(late).toThrow(/more than its fudge/);
  });

  it("is refused when the TSIG record is removed", () => {
    const unsigned = stripped(response);
    expect(() => accept(verifier(bindKey, requestMac, signedAt), unsigned)).toThrow(/not TSIG-signed/);
  });

  it("is refused when signed with another key", () => {
    const other = tsigKey("someone-else.", "hmac-sha256", recorded.bind.secret);
    expect(() => accept(verifier(other, requestMac, signedAt), response)).toThrow(/signed with key kubefed-update\./);
  });
});

describe("BIND's answer to a key it knows with another algorithm", () => {
  it.each(recorded.bind.otherAlgorithms.map((a) => [a.algorithm, a] as const))("%s: BADKEY", (algorithm, a) => {
    const request = bytes(a.request);
    const response = bytes(a.response);
    const key = tsigKey(recorded.bind.keyName, algorithm, recorded.bind.secret);
    const v = verifier(key, tsigOf(request).fields.mac, tsigOf(response).fields.timeSigned);
    let err: unknown;
    try {
      accept(v, response);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DnsError);
    expect((err as DnsError).rcode).toBe("BADKEY");
    expect((err as DnsError).code).toBe("Unauthorized");
  });
});

describe("zone transfers", () => {
  it("BIND's one-message AXFR answer to dig verifies", () => {
    const request = bytes(recorded.bind.axfr.request);
    const [only] = recorded.bind.axfr.responses.map(bytes);
    expect(resign(request, bindKey).wire.equals(request)).toBe(true);
    accept(verifier(bindKey, tsigOf(request).fields.mac, tsigOf(only!).fields.timeSigned), only!);
  });

  const request = bytes(recorded.knot.axfr.request);
  const [first, second] = recorded.knot.axfr.responses.map(bytes) as [Buffer, Buffer];
  const at = tsigOf(first).fields.timeSigned;
  const requestMac = tsigOf(request).fields.mac;

  it("Knot's two-message answer to kdig verifies: the second message's MAC chains on the first's", () => {
    expect(resign(request, knotKey).wire.equals(request)).toBe(true);
    const v = verifier(knotKey, requestMac, at);
    accept(v, first, false);
    accept(v, second, true);
  });

  it("a later message does not verify on its own: it signs only the timers after the prior MAC", () => {
    expect(() => accept(verifier(knotKey, requestMac, at), second)).toThrow(/does not verify/);
  });

  it("the messages do not verify out of order", () => {
    const v = verifier(knotKey, requestMac, at);
    expect(() => accept(v, second, false)).toThrow(/does not verify/);
  });
});

describe("a stream with unsigned messages between signed ones (RFC 8945 section 5.3.1)", () => {
  const key = tsigKey("k.", "hmac-sha512", Buffer.alloc(64, 3).toString("base64"));
  const t = 1_800_000_000;
  const query = sign(encodeQuery(7, "kubefed.test.", "AXFR"), key, { timeSigned: t });
  const message = (n: number) => {
    const m = encodeQuery(7, `m${n}.kubefed.test.`, "AXFR");
    m.writeUInt16BE(0x8000, 2); // a response
    return m;
  };
  const s1 = sign(message(1), key, { timeSigned: t, requestMac: query.mac });
  const unsigned2 = message(2);
  const s3 = sign(message(3), key, {
    timeSigned: t,
    requestMac: s1.mac,
    continuation: { unsignedSince: [unsigned2] },
  });

  it("verifies when the unsigned message is covered by the next MAC", () => {
    const v = verifier(key, query.mac, t);
    accept(v, s1.wire, false);
    accept(v, unsigned2, false);
    accept(v, s3.wire, true);
  });

  it("does not verify when the unsigned message was altered", () => {
    const v = verifier(key, query.mac, t);
    accept(v, s1.wire, false);
    const altered = Buffer.from(unsigned2);
    altered[13] = "n".charCodeAt(0); // m2.kubefed.test. becomes n2.kubefed.test.
    accept(v, altered, false);
    expect(() => accept(v, s3.wire, true)).toThrow(/does not verify/);
  });

  it("refuses an unsigned first or last message", () => {
    expect(() => accept(verifier(key, query.mac, t), unsigned2, false)).toThrow(/not TSIG-signed/);
    const v = verifier(key, query.mac, t);
    accept(v, s1.wire, false);
    expect(() => accept(v, unsigned2, true)).toThrow(/not TSIG-signed/);
  });
});

describe("tsigKey", () => {
  it("refuses an unknown algorithm, hmac-md5 included", () => {
    expect(() => tsigKey("k.", "hmac-md5", "c2VjcmV0")).toThrow(/unsupported TSIG algorithm "hmac-md5"/);
  });
  it("refuses a secret that is not base64", () => {
    expect(() => tsigKey("k.", "hmac-sha256", "not base64!")).toThrow(/not base64/);
    expect(() => tsigKey("k.", "hmac-sha256", "")).toThrow(/not base64/);
  });
  it("qualifies and lowercases the key name", () => {
    expect(tsigKey("Kubefed-Update", "hmac-sha256", "c2VjcmV0").name).toBe("kubefed-update.");
  });
});
