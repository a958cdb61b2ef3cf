/** Label and field selectors of list and watch requests, parsed once and matched against objects. */
import { ApiError, Reason } from "./status.ts";

export type Matcher = (obj: Record<string, unknown>) => boolean;

interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== "");
}

export function parseLabelSelector(s: string | null): Requirement[] {
  if (!s) return [];
  return splitTop(s).map((term) => {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      return { key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()).filter(Boolean) };
    }
    if ((m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term))) {
      return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", values: [m[3]!] };
    }
    if ((m = /^!\s*([^\s!=]+)$/.exec(term))) return { key: m[1]!, op: "!exists", values: [] };
    if ((m = /^([^\s!=()]+)$/.exec(term))) return { key: m[1]!, op: "exists", values: [] };
    throw new ApiError(Reason.BadRequest, `unable to parse requirement: ${JSON.stringify(term)}`);
  });
}

function matches(reqs: Requirement[], get: (key: string) => string | undefined): boolean {
  return reqs.every((r) => {
    const v = get(r.key);
    switch (r.op) {
      case "=":
        return v === r.values[0];
      case "!=":
        return v !== r.values[0];
      case "in":
        return v !== undefined && r.values.includes(v);
      case "notin":
        return v === undefined || !r.values.includes(v);
      case "exists":
        return v !== undefined;
      case "!exists":
        return v === undefined;
      default: {
        const never: never = r.op;
        return never;
      }
    }
  });
}

const FIELDS = new Set(["metadata.name", "metadata.namespace"]);

export function selectorMatcher(labelSelector: string | null, fieldSelector: string | null): Matcher {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseLabelSelector(fieldSelector);
  for (const f of fields) {
    if (!FIELDS.has(f.key) || (f.op !== "=" && f.op !== "!=")) {
      throw new ApiError(Reason.BadRequest, `field label not supported: ${f.key}`);
    }
  }
  return (obj) => {
    const meta = (obj.metadata ?? {}) as { labels?: Record<string, string>; name?: string; namespace?: string };
    return (
      matches(labels, (k) => meta.labels?.[k]) &&
      matches(fields, (k) => (k === "metadata.name" ? meta.name : (meta.namespace ?? "")))
    );
  };
}
