// Ownership of record sets in an RFC 2136 zone, in the manner of ExternalDNS's TXT registry: each set this
// owner wrote has a TXT marker at a derived name, and every UPDATE that touches a set carries prerequisites on
// that marker, so the server checks ownership and applies the change in one atomic message.
//
// Naming: the set `<name>` of type T has its marker at `_kubefed-<t>.<name>` (t = a, aaaa or cname), a child
// of the set's name rather than the name itself, because a CNAME cannot share its name with a TXT record; one
// marker per type, because an A and an AAAA set of one name are owned (and deleted) separately. The marker's
// text is `heritage=kubefed,owner=<owner>`, one character string.
import type { Prerequisite, UpdateOp, UpdateType, ZoneRecord } from "@kubefed/dnsupdate";
import type { Change, RecordSet, RecordType } from "../provider.ts";

const MARKER_LABEL = /^_kubefed-(a|aaaa|cname)\.(.+)$/;
const TYPES: Readonly<Record<string, RecordType>> = { a: "A", aaaa: "AAAA", cname: "CNAME" };

export const markerName = (set: { name: string; type: RecordType }): string =>
  `_kubefed-${set.type.toLowerCase()}.${set.name}`;

export const markerText = (owner: string): string => `heritage=kubefed,owner=${owner}`;

/** "<name> <type>", the key the service names sets by. */
export const setKey = (set: { name: string; type: RecordType }): string => `${set.name} ${set.type}`;

/**
 * The sets of a transferred zone that carry `owner`'s marker, markers excluded. A marker whose set has no
 * records (a change cut short by hand) is not a set; it is returned in `orphans`, so that a later upsert
 * of that set updates it rather than trying to create it.
 */
export function ownedSets(records: readonly ZoneRecord[], owner: string): { sets: RecordSet[]; orphans: string[] } {
  const text = markerText(owner);
  const byKey = new Map<string, ZoneRecord[]>();
  const marked: { name: string; type: RecordType }[] = [];
  for (const r of records) {
    if (r.type === "TXT") {
      const m = MARKER_LABEL.exec(r.name);
      if (m && r.value === text) marked.push({ name: m[2]!, type: TYPES[m[1]!]! });
      continue;
    }
    if (r.type !== "A" && r.type !== "AAAA" && r.type !== "CNAME") continue;
    const k = setKey({ name: r.name, type: r.type });
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  const sets: RecordSet[] = [];
  const orphans: string[] = [];
  for (const m of marked) {
    const rs = byKey.get(setKey(m));
    if (!rs) {
      orphans.push(setKey(m));
      continue;
    }
    const values = [...new Set(rs.map((r) => r.value))].sort();
    sets.push({ name: m.name, type: m.type, ttl: Math.min(...rs.map((r) => r.ttl)), values });
  }
  return { sets, orphans };
}

/** How a change is written: a set believed owned is replaced under its marker; any other is created. */
export type Form = "update" | "create" | "delete" | "deleteGone";

export interface PlannedChange {
  readonly change: Change;
  readonly prerequisites: Prerequisite[];
  readonly updates: UpdateOp[];
}

const OTHER_TYPES: Readonly<Record<RecordType, readonly UpdateType[]>> = {
  A: ["CNAME"],
  AAAA: ["CNAME"],
  CNAME: ["A", "AAAA"],
};

/**
 * The prerequisites and updates of one change in the given form. `deletedAlongside` are the types of this
 * name that the same message deletes first (owned sets): a CNAME may replace them, which a prerequisite
 * evaluated before any update would otherwise refuse.
 */
export function planChange(
  change: Change,
  owner: string,
  form: Form,
  deletedAlongside: ReadonlySet<RecordType>,
): PlannedChange {
  const { set } = change;
  const marker = markerName(set);
  const ours: Prerequisite = {
    kind: "rrsetEquals",
    name: marker,
    records: [{ type: "TXT", value: [markerText(owner)] }],
  };
  const values = set.values.map((value): UpdateOp => ({
    kind: "add",
    name: set.name,
    ttl: set.ttl,
    data: { type: set.type, value },
  }));
  switch (form) {
    case "update":
      return {
        change,
        prerequisites: [ours],
        updates: [{ kind: "deleteRrset", name: set.name, type: set.type }, ...values],
      };
    case "create": {
      const prerequisites: Prerequisite[] = [
        { kind: "rrsetAbsent", name: marker, type: "TXT" },
        { kind: "rrsetAbsent", name: set.name, type: set.type },
      ];
      // A server ignores, without an error, a CNAME added beside other data or data added beside a CNAME.
      if (set.type === "CNAME" && deletedAlongside.size === 0)
        prerequisites.push({ kind: "nameNotInUse", name: set.name });
      else
        for (const t of OTHER_TYPES[set.type])
          if (!deletedAlongside.has(t as RecordType))
            prerequisites.push({ kind: "rrsetAbsent", name: set.name, type: t });
      const addMarker: UpdateOp = {
        kind: "add",
        name: marker,
        ttl: set.ttl,
        data: { type: "TXT", value: [markerText(owner)] },
      };
      return { change, prerequisites, updates: [addMarker, ...values] };
    }
    case "delete":
      return {
        change,
        prerequisites: [ours],
        updates: [
          { kind: "deleteRrset", name: set.name, type: set.type },
          { kind: "deleteRrset", name: marker, type: "TXT" },
        ],
      };
    case "deleteGone":
      // Nothing to delete when neither the marker nor the set is there (an earlier attempt got through).
      return {
        change,
        prerequisites: [
          { kind: "rrsetAbsent", name: marker, type: "TXT" },
          { kind: "rrsetAbsent", name: set.name, type: set.type },
        ],
        updates: [],
      };
    default: {
      const never: never = form;
      return never;
    }
  }
}

/** The form to try first, and the one to try when the first one's prerequisites fail. */
export function forms(change: Change, believedOwned: boolean): [Form, Form] {
  if (change.action === "delete") return ["delete", "deleteGone"];
  return believedOwned ? ["update", "create"] : ["create", "update"];
}
