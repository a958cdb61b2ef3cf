import { describe, expect, it } from "vitest";
import { inRange, memberRange, pickAddress } from "./lbaddress.ts";

describe("loopback load-balancer addresses", () => {
  it("gives each member a range of its own on 127.0.0.0/8", () => {
    expect(memberRange(0)).toBe("127.20");
    expect(memberRange(2)).toBe("127.22");
    expect(() => memberRange(-1)).toThrow(/out of range/);
  });

  it("derives a Service's address from its name: the same every time, never .0 or .255.255", () => {
    const a = pickAddress("127.20", "shop/web", new Set());
    expect(a).toBe(pickAddress("127.20", "shop/web", new Set()));
    expect(a).not.toBe(pickAddress("127.20", "shop/api", new Set()));
    expect(inRange("127.20", a!)).toBe(true);
    expect(a).not.toMatch(/^127\.20\.0\.0$|\.255\.255$/);
  });

  it("keeps an address the Service already has when it is ours and free, and moves past one in use", () => {
    expect(pickAddress("127.20", "shop/web", new Set(), "127.20.3.4")).toBe("127.20.3.4");
    expect(pickAddress("127.20", "shop/web", new Set(), "203.0.113.9")).toBe(
      pickAddress("127.20", "shop/web", new Set()),
    );
    const first = pickAddress("127.20", "shop/web", new Set())!;
    const second = pickAddress("127.20", "shop/web", new Set([first]))!;
    expect(second).not.toBe(first);
    expect(inRange("127.20", second)).toBe(true);
  });

  it("tells its own addresses from others", () => {
    expect(inRange("127.20", "127.20.1.2")).toBe(true);
    expect(inRange("127.20", "127.200.1.2")).toBe(false);
    expect(inRange("127.20", "203.0.113.10")).toBe(false);
  });
});
