import { describe, expect, it } from "vitest";
import { humanAge, toTable, wantsTable } from "./table.ts";
import { findResource } from "./resources.ts";

const now = Date.parse("2026-01-01T12:00:00Z");

describe("server-side printing", () => {
  it("recognises kubectl's Table Accept header", () => {
    expect(
      wantsTable(
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
      ),
    ).toBe(true);
    expect(wantsTable("application/json")).toBe(false);
  });

  it("prints ages like kubectl", () => {
    expect(humanAge("2026-01-01T11:59:15Z", now)).toBe("45s");
    expect(humanAge("2026-01-01T11:55:00Z", now)).toBe("5m");
    expect(humanAge("2026-01-01T07:00:00Z", now)).toBe("5h");
    expect(humanAge("2025-12-29T12:00:00Z", now)).toBe("3d");
  });

  it("gives Deployments READY/UP-TO-DATE/AVAILABLE and wide columns", () => {
    const d = {
      metadata: { name: "web", creationTimestamp: "2026-01-01T11:59:00Z" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: { spec: { containers: [{ name: "c", image: "nginx" }] } },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    const t = toTable(findResource("apps", "v1", "deployments")!, [d], "7", now);
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
      "Name",
      "Ready",
      "Up-to-date",
      "Available",
      "Age",
      "Containers",
      "Images",
      "Selector",
    ]);
    expect(t.rows[0].cells).toEqual(["web", "2/3", 3, 2, "60s", "c", "nginx", "app=web"]);
    expect(t.rows[0].object).toEqual({
      kind: "PartialObjectMetadata",
      apiVersion: "meta.k8s.io/v1",
      metadata: d.metadata,
    });
  });

  it("gives Clusters STATUS, REGION and ZONES", () => {
    const c = {
      metadata: { name: "eu1", creationTimestamp: "2026-01-01T11:00:00Z" },
      status: { region: "eu", zones: ["eu-a"], conditions: [{ type: "Ready", status: "False" }] },
    };
    expect(
      toTable(findResource("federation", "v1beta1", "clusters")!, [c], "1", now).rows[0].cells.slice(0, 5),
    ).toEqual(["eu1", "Offline", "eu", "eu-a", "60m"]);
  });
});
