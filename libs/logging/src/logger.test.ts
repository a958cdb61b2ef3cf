import { describe, expect, it } from "vitest";
import { REDACTED, childLogger, createLogger } from "./index.ts";

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  };
};

describe("createLogger", () => {
  it("writes JSON lines with service, level label and ISO time", () => {
    const { lines, destination } = capture();
    createLogger({ service: "ingest", destination }).info({ kind: "Service" }, "created");
    expect(lines[0]).toMatchObject({ service: "ingest", level: "info", kind: "Service", msg: "created" });
    expect(String(lines[0]?.["time"])).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("honours the level", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: "dns-sync", level: "warn", destination });
    logger.info("dropped");
    logger.warn("kept");
    expect(lines.map((l) => l["msg"])).toEqual(["kept"]);
  });

  it("carries cluster and requestId bindings on child loggers", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: "propagator", destination, bindings: { worker: "w-1" } });
    childLogger(childLogger(logger, { cluster: "eu-1" }), { requestId: "r-42" }).info("applied");
    expect(lines[0]).toMatchObject({ service: "propagator", worker: "w-1", cluster: "eu-1", requestId: "r-42" });
  });

  it("redacts secret payloads and credentials at the depths objects nest, keeping the rest", () => {
    const { lines, destination } = capture();
    const logger = childLogger(createLogger({ service: "ingest", destination }), { cluster: "eu-1" });
    logger.info(
      {
        token: "t0",
        password: "p0",
        object: { kind: "Secret", metadata: { name: "db" }, data: { pw: "c2VjcmV0" }, stringData: { pw: "secret" } },
        event: { object: { data: { k: "v" } } },
        req: { method: "GET", headers: { authorization: "Bearer abc", cookie: "s=1", accept: "application/json" } },
        member: { credentials: { user: { token: "t3", bearerToken: "b3" } } },
      },
      "request",
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ["t0", "p0", "c2VjcmV0", '"secret"', '"v"', "Bearer abc", "s=1", "t3", "b3"])
      expect(text, `leaked ${secret}`).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      token: REDACTED,
      object: { kind: "Secret", metadata: { name: "db" }, data: REDACTED, stringData: REDACTED },
      event: { object: { data: REDACTED } },
      req: { method: "GET", headers: { authorization: REDACTED, accept: "application/json" } },
    });
  });

  it("serialises errors under err and error", () => {
    const { lines, destination } = capture();
    createLogger({ service: "ingest", destination }).error({ error: new Error("boom") }, "failed");
    expect(lines[0]?.["error"]).toMatchObject({ type: "Error", message: "boom" });
  });
});
