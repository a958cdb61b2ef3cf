import { describe, expect, it } from "vitest";
import { OwnWrites } from "./ownwrites.ts";

const change = (resourceVersion: string, opts: { deleted?: boolean; relevant?: boolean } = {}) => ({
  resourceVersion,
  deleted: opts.deleted ?? false,
  relevant: opts.relevant ?? true,
});

describe("own writes and their echoes", () => {
  it("takes the watch event with the version of our last write as its echo, once", () => {
    const w = new OwnWrites();
    w.wrote("k", "7");
    expect(w.observed("k", change("7"))).toBe(false);
    expect(w.observed("k", change("7"))).toBe(true);
  });

  it("takes another version, or a deletion, as drift", () => {
    const w = new OwnWrites();
    w.wrote("k", "7");
    expect(w.observed("k", change("8"))).toBe(true);
    w.wrote("k", "9");
    expect(w.observed("k", change("9", { deleted: true }))).toBe(true);
  });

  it("ignores what is none of our business", () => {
    expect(new OwnWrites().observed("k", change("1", { relevant: false }))).toBe(false);
  });

  it("holds an event that arrives during a run, and drops it at the end when it echoes that run's write", () => {
    const w = new OwnWrites();
    w.begin("k");
    // The echo beats the write's answer.
    expect(w.observed("k", change("7"))).toBe(false);
    w.wrote("k", "7");
    expect(w.end("k")).toBe(false);
    // The echo was used up: a later event of that version is drift.
    expect(w.observed("k", change("7"))).toBe(true);
  });

  it("runs the key again after a run that saw a relevant change not its own", () => {
    const w = new OwnWrites();
    w.begin("k");
    expect(w.observed("k", change("6"))).toBe(false);
    w.wrote("k", "7");
    expect(w.end("k")).toBe(true);
    w.begin("k");
    expect(w.observed("k", change("8", { relevant: true }))).toBe(false);
    expect(w.observed("k", change("9", { relevant: false }))).toBe(false);
    expect(w.end("k")).toBe(true); // relevance is kept across the events held
    w.begin("k");
    expect(w.end("k")).toBe(false); // nothing seen
  });

  it("forgets the versions written when the watches stop", () => {
    const w = new OwnWrites();
    w.wrote("k", "7");
    w.forgetWritten();
    expect(w.observed("k", change("7"))).toBe(true);
  });
});
