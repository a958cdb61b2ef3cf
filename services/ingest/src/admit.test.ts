import { describe, expect, it } from "vitest";
import { CLUSTER_SELECTOR_ANNOTATION } from "@kubefed/names";
import { admit, admitOrThrow } from "./admit.ts";
import { findKind } from "./resources.ts";
import { ApiError } from "./status.ts";

const configMaps = findKind("v1", "ConfigMap")!;
const configMap = (annotations: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "c", namespace: "default", annotations },
  data: { k: "v" },
});
const field = `metadata.annotations[${CLUSTER_SELECTOR_ANNOTATION}]`;

describe("admit: the cluster-selector annotation", () => {
  it("accepts a valid selector", () => {
    const { causes } = admit(
      configMaps,
      configMap({ [CLUSTER_SELECTOR_ANNOTATION]: '[{"key":"region","operator":"In","values":["eu"]}]' }),
    );
    expect(causes).toEqual([]);
  });

  it("reports each problem as a FieldValueInvalid cause of the annotation", () => {
    const { causes } = admit(
      configMaps,
      configMap({
        [CLUSTER_SELECTOR_ANNOTATION]: '[{"key":"region","operator":"In"},{"key":"","operator":"Gt","values":["x"]}]',
      }),
    );
    expect(causes).toEqual([
      { reason: "FieldValueInvalid", field, message: "Invalid value: [0].values: must not be empty for In" },
      { reason: "FieldValueInvalid", field, message: "Invalid value: [1].key: must be a non-empty string" },
      { reason: "FieldValueInvalid", field, message: "Invalid value: [1].values: must be exactly one integer for Gt" },
    ]);
  });

  it("rejects a value that is not a JSON list", () => {
    const { causes } = admit(configMaps, configMap({ [CLUSTER_SELECTOR_ANNOTATION]: '{"key":"a"}' }));
    expect(causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field,
        message: 'Invalid value: must be a JSON list of {"key","operator","values"}',
      },
    ]);
  });

  it("rejects a key that is not a label key", () => {
    const { causes } = admit(
      configMaps,
      configMap({ [CLUSTER_SELECTOR_ANNOTATION]: '[{"key":"a b","operator":"Exists"}]' }),
    );
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({
      field,
      message: expect.stringMatching(/^Invalid value: \[0\]\.key: "a b": name part must consist of/),
    });
  });

  it("answers 422 Invalid through admitOrThrow", () => {
    let thrown: unknown;
    try {
      admitOrThrow(configMaps, configMap({ [CLUSTER_SELECTOR_ANNOTATION]: "nope" }), "Strict");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({
      message: expect.stringMatching(
        new RegExp(
          `^ConfigMap "c" is invalid: ${field.replace(/[[\]./]/g, "\\$&")}: Invalid value: must be a JSON list`,
        ),
      ),
    });
  });
});
