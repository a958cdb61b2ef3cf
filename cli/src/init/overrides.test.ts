import { describe, expect, it } from "vitest";
import { parseArgOverrides } from "./overrides.ts";

describe("parseArgOverrides", () => {
  it("maps the original's example onto the ingest's own options", () => {
    expect(parseArgOverrides("--anonymous-auth=false,--v=4")).toEqual({
      settings: { anonymousAuth: "false", logLevel: "debug" },
      args: ["--anonymous-auth=false", "--log-level=debug"],
    });
  });

  it("takes the ingest's flag names, a bare boolean flag, and values with commas", () => {
    expect(parseArgOverrides("--max-watch-timeout=10m, --anonymous-auth").args).toEqual([
      "--max-watch-timeout=10m",
      "--anonymous-auth=true",
    ]);
    expect(parseArgOverrides("--v=0").settings).toEqual({ logLevel: "info" });
    expect(parseArgOverrides("--v=7").settings).toEqual({ logLevel: "trace" });
    expect(parseArgOverrides(undefined)).toEqual({ settings: {}, args: [] });
  });

  it("refuses an unknown option, naming the known ones", () => {
    expect(() => parseArgOverrides("--anonymous-auth=false,--enable-admission-plugins=X")).toThrow(
      /--enable-admission-plugins is not an option of the federation API \(known: --v, .*--anonymous-auth/,
    );
  });

  it("refuses what init sets itself, files, and malformed entries", () => {
    expect(() => parseArgOverrides("--kafka-brokers=a:1")).toThrow("--kafka-brokers is set by --kafka-brokers");
    expect(() => parseArgOverrides("--token-auth-file=/x")).toThrow(/set by --apiserver-enable-token-auth/);
    expect(() => parseArgOverrides("--secure-port=1")).toThrow(/set by kubefed init/);
    expect(() => parseArgOverrides("anonymous-auth=false")).toThrow(/not of the form --name=value/);
    expect(() => parseArgOverrides("--v=high")).toThrow(/--v=high: must be a non-negative integer/);
  });
});
