import { describe, expect, it } from "vitest";
import { FederationError, type KubeObject } from "@kubefed/events";
import { CLUSTER_SELECTOR_ANNOTATION } from "@kubefed/names";
import {
  clusterSelectorProblems,
  isPlaced,
  matchesCluster,
  parseClusterSelector,
  PlacementError,
  type ClusterSelectorRequirement,
  type SelectorOperator,
} from "./index.ts";

const req = (key: string, operator: SelectorOperator, ...values: string[]): ClusterSelectorRequirement => ({
  key,
  operator,
  values,
});

describe("clusterSelectorProblems", () => {
  it.each([
    ["[]"],
    ['[{"key":"region","operator":"In","values":["eu","us"]}]'],
    ['[{"key":"region","operator":"NotIn","values":["eu"]}]'],
    ['[{"key":"example.com/tier","operator":"Exists"}]'],
    ['[{"key":"region","operator":"Exists","values":[]}]'],
    ['[{"key":"region","operator":"DoesNotExist"}]'],
    ['[{"key":"cores","operator":"Gt","values":["4"]}]'],
    ['[{"key":"cores","operator":"Lt","values":["-4"]}]'],
    ['[{"key":"a","operator":"In","values":["x"]},{"key":"b","operator":"Exists"}]'],
  ])("accepts %s", (value) => {
    expect(clusterSelectorProblems(value)).toEqual([]);
  });

  it.each([
    ["not json", [expect.stringMatching(/^must be a JSON list of \{"key","operator","values"\}: .+/)]],
    ['{"key":"a"}', ['must be a JSON list of {"key","operator","values"}']],
    ['["a"]', ["[0]: must be an object"]],
    ["[null]", ["[0]: must be an object"]],
    ["[[]]", ["[0]: must be an object"]],
    ['[{"operator":"Exists"}]', ["[0].key: must be a non-empty string"]],
    ['[{"key":"","operator":"Exists"}]', ["[0].key: must be a non-empty string"]],
    ['[{"key":3,"operator":"Exists"}]', ["[0].key: must be a non-empty string"]],
    [
      '[{"key":"a","operator":"Equals","values":["x"]}]',
      ["[0].operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt"],
    ],
    ['[{"key":"a"}]', ["[0].operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt"]],
    ['[{"key":"a","operator":"In","values":"x"}]', ["[0].values: must be a list of strings"]],
    ['[{"key":"a","operator":"In","values":[1]}]', ["[0].values: must be a list of strings"]],
    ['[{"key":"a","operator":"In","values":[]}]', ["[0].values: must not be empty for In"]],
    ['[{"key":"a","operator":"NotIn"}]', ["[0].values: must not be empty for NotIn"]],
    ['[{"key":"a","operator":"Exists","values":["x"]}]', ["[0].values: must be empty for Exists"]],
    ['[{"key":"a","operator":"DoesNotExist","values":["x"]}]', ["[0].values: must be empty for DoesNotExist"]],
    ['[{"key":"a","operator":"Gt","values":[]}]', ["[0].values: must be exactly one integer for Gt"]],
    ['[{"key":"a","operator":"Gt","values":["1","2"]}]', ["[0].values: must be exactly one integer for Gt"]],
    ['[{"key":"a","operator":"Lt","values":["1.5"]}]', ["[0].values: must be exactly one integer for Lt"]],
    ['[{"key":"a","operator":"Lt","values":["ten"]}]', ["[0].values: must be exactly one integer for Lt"]],
  ])("rejects %s", (value, problems) => {
    expect(clusterSelectorProblems(value)).toEqual(problems);
  });

  it("checks the key as a label key (qualified name)", () => {
    const [problem, ...rest] = clusterSelectorProblems('[{"key":"-bad","operator":"Exists"}]');
    expect(problem).toMatch(/^\[0\]\.key: "-bad": name part must consist of alphanumeric characters/);
    expect(rest).toEqual([]);
    expect(clusterSelectorProblems('[{"key":"a/b/c","operator":"Exists"}]')).toHaveLength(1);
    expect(clusterSelectorProblems('[{"key":"Bad_Prefix/x","operator":"Exists"}]')[0]).toMatch(
      /^\[0\]\.key: .*prefix part/,
    );
  });

  it("reports every problem of every item, each with its index", () => {
    expect(
      clusterSelectorProblems('[{"key":"a","operator":"In","values":["x"]},{"key":"","operator":"Nope"}]'),
    ).toEqual([
      "[1].key: must be a non-empty string",
      "[1].operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt",
    ]);
  });
});

describe("parseClusterSelector", () => {
  it("returns the requirements, values defaulting to []", () => {
    expect(
      parseClusterSelector('[{"key":"region","operator":"In","values":["eu"]},{"key":"gpu","operator":"Exists"}]'),
    ).toEqual([req("region", "In", "eu"), req("gpu", "Exists")]);
  });

  it("drops unknown item fields", () => {
    expect(parseClusterSelector('[{"key":"gpu","operator":"Exists","extra":1}]')).toEqual([req("gpu", "Exists")]);
  });

  it("throws a terminal PlacementError naming every problem", () => {
    const value = '[{"key":"a","operator":"In"},{"key":"b","operator":"Gt","values":["x"]}]';
    const err = (() => {
      try {
        parseClusterSelector(value);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PlacementError);
    expect(err).toBeInstanceOf(FederationError);
    expect(err).toMatchObject({
      code: "Invalid",
      retryable: false,
      message: `invalid cluster selector ${JSON.stringify(value)}: [0].values: must not be empty for In; [1].values: must be exactly one integer for Gt`,
    });
  });

  it("throws on malformed JSON", () => {
    expect(() => parseClusterSelector("[")).toThrow(/must be a JSON list/);
  });
});

describe("matchesCluster", () => {
  const labels = { region: "eu", tier: "gold", cores: "8", big: "123456789012345678901", odd: "8x", empty: "" };
  it.each<[string, ClusterSelectorRequirement, boolean]>([
    ["In: value listed", req("region", "In", "us", "eu"), true],
    ["In: value not listed", req("region", "In", "us"), false],
    ["In: label missing", req("zone", "In", "a"), false],
    ["In: empty label value listed", req("empty", "In", ""), true],
    ["NotIn: value not listed", req("region", "NotIn", "us"), true],
    ["NotIn: value listed", req("region", "NotIn", "eu"), false],
    ["NotIn: label missing", req("zone", "NotIn", "a"), true],
    ["Exists: present", req("tier", "Exists"), true],
    ["Exists: present with empty value", req("empty", "Exists"), true],
    ["Exists: missing", req("zone", "Exists"), false],
    ["DoesNotExist: missing", req("zone", "DoesNotExist"), true],
    ["DoesNotExist: present", req("tier", "DoesNotExist"), false],
    ["Gt: greater", req("cores", "Gt", "4"), true],
    ["Gt: equal", req("cores", "Gt", "8"), false],
    ["Gt: smaller", req("cores", "Gt", "16"), false],
    ["Gt: negative bound", req("cores", "Gt", "-1"), true],
    ["Gt: compares as integers, not strings", req("cores", "Gt", "10"), false],
    ["Gt: beyond double precision", req("big", "Gt", "123456789012345678900"), true],
    ["Gt: label missing", req("zone", "Gt", "1"), false],
    ["Gt: label not an integer", req("odd", "Gt", "1"), false],
    ["Gt: label empty", req("empty", "Gt", "-1"), false],
    ["Gt: label a word", req("region", "Gt", "1"), false],
    ["Gt: bound not an integer", req("cores", "Gt", "4.5"), false],
    ["Gt: no bound", req("cores", "Gt"), false],
    ["Gt: two bounds", req("cores", "Gt", "1", "2"), false],
    ["Lt: smaller", req("cores", "Lt", "16"), true],
    ["Lt: equal", req("cores", "Lt", "8"), false],
    ["Lt: greater", req("cores", "Lt", "4"), false],
    ["Lt: label missing", req("zone", "Lt", "100"), false],
    ["Lt: label not an integer", req("odd", "Lt", "100"), false],
    ["Lt: bound not an integer", req("cores", "Lt", "x"), false],
  ])("%s", (_name, r, expected) => {
    expect(matchesCluster([r], labels)).toBe(expected);
  });

  it("ANDs requirements; none matches every cluster", () => {
    expect(matchesCluster([], {})).toBe(true);
    expect(matchesCluster([req("region", "In", "eu"), req("tier", "Exists")], labels)).toBe(true);
    expect(matchesCluster([req("region", "In", "eu"), req("tier", "DoesNotExist")], labels)).toBe(false);
  });

  it("does not find keys on the object prototype", () => {
    expect(matchesCluster([req("constructor", "Exists")], {})).toBe(false);
    expect(matchesCluster([req("toString", "DoesNotExist")], {})).toBe(true);
  });
});

describe("isPlaced", () => {
  const obj = (annotations?: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "default", ...(annotations ? { annotations } : {}) },
  });
  const selector = (value: string) => obj({ [CLUSTER_SELECTOR_ANNOTATION]: value });

  it("places an object without the annotation everywhere", () => {
    expect(isPlaced(obj(), {})).toBe(true);
    expect(isPlaced(obj({ other: "x" }), { region: "eu" })).toBe(true);
    expect(isPlaced({ apiVersion: "v1", kind: "ConfigMap" }, {})).toBe(true);
  });

  it("places by the selector", () => {
    const o = selector('[{"key":"region","operator":"In","values":["eu"]}]');
    expect(isPlaced(o, { region: "eu" })).toBe(true);
    expect(isPlaced(o, { region: "us" })).toBe(false);
    expect(isPlaced(o, {})).toBe(false);
  });

  it("places an empty selector everywhere", () => {
    expect(isPlaced(selector("[]"), {})).toBe(true);
  });

  it("places an object with a malformed selector nowhere", () => {
    expect(isPlaced(selector("not json"), { region: "eu" })).toBe(false);
    expect(isPlaced(selector('[{"key":"region","operator":"In"}]'), { region: "eu" })).toBe(false);
    expect(
      isPlaced(selector('[{"key":"region","operator":"Exists"},{"key":"x","operator":"Bad"}]'), { region: "eu" }),
    ).toBe(false);
    expect(isPlaced({ metadata: { annotations: { [CLUSTER_SELECTOR_ANNOTATION]: 1 } } }, {})).toBe(false);
  });
});
