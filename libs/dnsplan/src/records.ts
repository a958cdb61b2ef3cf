// Record sets, the changes between two collections of them, and applying changes: the vocabulary the planner and
// every DNS provider share (services/dns-sync/src/provider.ts re-exports it).

export type RecordType = "A" | "AAAA" | "CNAME";

/** All the records of one name and type. `name` is fully qualified, lowercase, with the trailing dot. */
export interface RecordSet {
  readonly name: string;
  readonly type: RecordType;
  readonly ttl: number;
  /** Addresses for A/AAAA, one target name (with trailing dot) for CNAME; sorted, no duplicates. */
  readonly values: readonly string[];
}

export type Change =
  { readonly action: "upsert"; readonly set: RecordSet } | { readonly action: "delete"; readonly set: RecordSet };

/** The identity of a record set: one per name and type. */
export const setKey = (s: Pick<RecordSet, "name" | "type">): string => `${s.name} ${s.type}`;

const sameSet = (a: RecordSet, b: RecordSet): boolean =>
  a.ttl === b.ttl && a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i]);

const byName = (a: Change, b: Change): number => {
  if (a.set.name !== b.set.name) return a.set.name < b.set.name ? -1 : 1;
  // Within a name, deletes first: a name turning from A into a CNAME must lose its A records before the CNAME
  // is added (a CNAME cannot sit beside other data; RFC 2136 servers refuse or ignore it).
  if (a.action !== b.action) return a.action === "delete" ? -1 : 1;
  return a.set.type < b.set.type ? -1 : a.set.type > b.set.type ? 1 : 0;
};

/**
 * The changes that turn `current` into `desired`: an upsert for every set that is missing or different, a delete
 * for every set that is no longer desired. Grouped by name (so a batch boundary rarely splits one name's change),
 * deletes before upserts within a name. Empty when they are equal.
 */
export function diffRecordSets(desired: Iterable<RecordSet>, current: Iterable<RecordSet>): Change[] {
  const have = new Map<string, RecordSet>();
  for (const s of current) have.set(setKey(s), s);
  const changes: Change[] = [];
  const wanted = new Set<string>();
  for (const s of desired) {
    const key = setKey(s);
    wanted.add(key);
    const old = have.get(key);
    if (!old || !sameSet(old, s)) changes.push({ action: "upsert", set: s });
  }
  for (const [key, s] of have) if (!wanted.has(key)) changes.push({ action: "delete", set: s });
  return changes.sort(byName);
}

/** `current` (by set key) with the changes applied in order: what a provider holds after applying them. */
export function applyChanges(
  current: ReadonlyMap<string, RecordSet>,
  changes: Iterable<Change>,
): Map<string, RecordSet> {
  const next = new Map(current);
  for (const c of changes) {
    if (c.action === "upsert") next.set(setKey(c.set), c.set);
    else next.delete(setKey(c.set));
  }
  return next;
}

/** A set as the planner writes it: values sorted and unique. */
export const recordSet = (name: string, type: RecordType, ttl: number, values: Iterable<string>): RecordSet => ({
  name,
  type,
  ttl,
  values: [...new Set(values)].sort(),
});
