import { describe, expect, it } from "vitest";
import { env, uniqueName } from "./helpers.ts";

describe("Open Policy Agent in server mode", () => {
  it("evaluates a Rego policy loaded through its REST API", async () => {
    const { url } = env().opa!;
    const pkg = uniqueName("foundation").replace(/-/g, "_");
    const policy = `package ${pkg}\n\ndefault allow := false\n\nallow if input.cluster.labels.region == "eu"\n`;
    const put = await fetch(`${url}/v1/policies/${pkg}`, {
      method: "PUT",
      body: policy,
      headers: { "content-type": "text/plain" },
    });
    expect(put.status).toBe(200);

    const ask = async (region: string) => {
      const res = await fetch(`${url}/v1/data/${pkg}/allow`, {
        method: "POST",
        body: JSON.stringify({ input: { cluster: { labels: { region } } } }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { result: boolean }).result;
    };
    expect(await ask("eu")).toBe(true);
    expect(await ask("us")).toBe(false);
  });
});
