import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { ExitCode, InputError, formatTable, outputOption, painter, render } from "./output.ts";

describe("formatTable", () => {
  it("lays columns out as kubectl does", () => {
    expect(
      formatTable(
        ["name", "status", "age"],
        [
          ["us-east", "Ready", "3d"],
          ["eu", "NotReady", "12m"],
        ],
      ),
    ).toBe("NAME      STATUS     AGE\nus-east   Ready      3d\neu        NotReady   12m");
  });

  it("prints the header alone for no rows, with no trailing blanks", () => {
    expect(formatTable(["name", "x"], [])).toBe("NAME   X");
  });
});

describe("render", () => {
  const data = { items: [{ name: "a" }] };
  it("gives json, yaml, or the table", () => {
    expect(JSON.parse(render("json", data, () => "t"))).toEqual(data);
    expect(render("yaml", data, () => "t")).toBe("items:\n  - name: a");
    expect(render("table", data, (d) => d.items.map((i) => i.name).join())).toBe("a");
  });
});

describe("outputOption", () => {
  const parse = (args: string[]) => {
    const c = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    c.addOption(outputOption(["table", "yaml"]));
    c.parse(["node", "x", ...args]);
    return c.opts<{ output: string }>().output;
  };
  it("defaults to the first format and refuses one it does not list", () => {
    expect(parse([])).toBe("table");
    expect(parse(["-o", "yaml"])).toBe("yaml");
    expect(() => parse(["-o", "json"])).toThrow(/Allowed choices are table, yaml/);
  });
});

describe("painter", () => {
  it("colours only a terminal without NO_COLOR", () => {
    expect(painter({ isTTY: true }, {})("red", "x")).toBe("\u001b[31mx\u001b[0m");
    expect(painter({ isTTY: false }, {})("red", "x")).toBe("x");
    expect(painter({ isTTY: true }, { NO_COLOR: "1" })("red", "x")).toBe("x");
    expect(painter({ isTTY: true }, { TERM: "dumb" })("red", "x")).toBe("x");
  });
});

it("InputError carries the invalid-input exit code", () => {
  expect(new InputError("bad").exitCode).toBe(ExitCode.InvalidInput);
});
