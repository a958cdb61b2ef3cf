import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeKubeProtobuf, goDuration, isKubeProtobuf } from "./protobuf.ts";
import { parseBody } from "./http.ts";

// Each fixture pair was captured from the pinned kubectl: the .bin is the body `kubectl create ...` POSTed, the .json
// is `kubectl create ... --dry-run=client -o json` for the same command, i.e. the very same Go object in JSON.
const fixture = (name: string, ext: "bin" | "json") =>
  readFileSync(new URL(`testdata/protobuf/${name}.${ext}`, import.meta.url));

describe("Kubernetes protobuf request bodies", () => {
  for (const name of ["namespace", "configmap", "secret", "deployment", "service", "job", "ingress"]) {
    it(`decodes kubectl's ${name} body to the JSON kubectl would have sent`, () => {
      expect(decodeKubeProtobuf(fixture(name, "bin"))).toEqual(JSON.parse(fixture(name, "json").toString("utf8")));
    });
  }

  it("is selected by Content-Type, parameters and case aside", () => {
    expect(isKubeProtobuf("application/vnd.kubernetes.protobuf")).toBe(true);
    expect(isKubeProtobuf("Application/Vnd.Kubernetes.Protobuf; charset=x")).toBe(true);
    expect(isKubeProtobuf("application/json")).toBe(false);
    expect(parseBody(fixture("namespace", "bin"), "application/vnd.kubernetes.protobuf")).toMatchObject({
      kind: "Namespace",
      metadata: { name: "shop" },
    });
  });

  it("refuses bodies that are not Kubernetes protobuf with 400 BadRequest", () => {
    const bad = [
      Buffer.from("{}"),
      Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff]),
      Buffer.from([0x6b, 0x38, 0x73]),
    ];
    for (const body of bad) {
      expect(() => parseBody(body, "application/vnd.kubernetes.protobuf")).toThrowError(
        expect.objectContaining({ code: 400, reason: "BadRequest" }),
      );
    }
  });

  it("refuses a kind it has no message for", () => {
    // A well-formed envelope naming a kind the federation does not serve: the ConfigMap body relabelled as a Pod.
    const body = fixture("configmap", "bin");
    const relabelled = Buffer.from(
      body.toString("latin1").replace("ConfigMap", "Pod\u0000\u0000\u0000\u0000\u0000\u0000"),
      "latin1",
    );
    expect(() => decodeKubeProtobuf(relabelled)).toThrow();
  });

  it("prints durations as Go does", () => {
    expect(goDuration(0n)).toBe("0s");
    expect(goDuration(1_500_000n)).toBe("1.5ms");
    expect(goDuration(3_723_500_000_000n)).toBe("1h2m3.5s");
    expect(goDuration(-2_000_000_000n)).toBe("-2s");
    expect(goDuration(90_000_000_000n)).toBe("1m30s");
  });
});
