// Replica division: a total number of replicas over weighted clusters with bounds. Plain data in, a plan out;
// no clock, no randomness, and the order the clusters come in does not matter.

/** One cluster's preference for one object: its weight and bounds (maxReplicas absent = unbounded). */
export interface ClusterShare {
  readonly name: string;
  readonly weight: number;
  readonly minReplicas: number;
  readonly maxReplicas?: number;
}

/** Replicas per cluster name (clusters given nothing are absent), and what no cluster could take. */
export interface Division {
  readonly replicas: Readonly<Record<string, number>>;
  readonly unplaced: number;
}

/**
 * FNV-1a (32 bit) of `cluster` NUL `object`: the order in which clusters receive what the weights leave over.
 * Hashing the pair (not the cluster name alone) spreads remainders, so no cluster is favoured for every object.
 */
export function stableHash(cluster: string, object: string): number {
  let h = 0x811c9dc5;
  const text = `${cluster}\u0000${object}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The clusters in remainder order: by hash of (cluster, object), the name only to break a (rare) tie. */
function hashOrder(shares: readonly ClusterShare[], object: string): ClusterShare[] {
  const keyed = shares.map((s) => ({ s, h: stableHash(s.name, object) }));
  keyed.sort((a, b) => a.h - b.h || (a.s.name < b.s.name ? -1 : a.s.name > b.s.name ? 1 : 0));
  return keyed.map((k) => k.s);
}

/**
 * Divides `total` replicas of `object` (any stable identity, e.g. its key):
 * 1. minimums first, each capped by its maximum; when the minimums add up to more than the total, clusters get
 *    theirs in hash order until the total runs out;
 * 2. the rest by weight among clusters with weight > 0 and room below their maximum: each gets the floor of its
 *    exact share, the replicas left by rounding go one each to the largest fractions, equal fractions (an even
 *    split) in hash order; a cluster that reaches its maximum drops out and what is left is divided again;
 * 3. whatever no cluster has room for is `unplaced`.
 * Clusters are identified by name; a name given twice keeps its first entry.
 */
export function divideReplicas(total: number, clusters: readonly ClusterShare[], object: string): Division {
  const seen = new Set<string>();
  const shares = hashOrder(
    clusters.filter((c) => !seen.has(c.name) && seen.add(c.name)),
    object,
  );
  // Indexed by position in `shares` (hash order).
  const got = new Array<number>(shares.length).fill(0);
  const cap = shares.map((s) => (s.maxReplicas === undefined ? Infinity : Math.max(0, s.maxReplicas)));
  let left = Math.max(0, Math.floor(total));

  shares.forEach((s, i) => {
    const min = Math.min(Math.max(0, s.minReplicas), cap[i]!, left);
    got[i] = min;
    left -= min;
  });

  let open = shares.map((_, i) => i).filter((i) => shares[i]!.weight > 0 && got[i]! < cap[i]!);
  const fraction = new Array<number>(shares.length).fill(0);
  while (left > 0 && open.length > 0) {
    const weights = open.reduce((sum, i) => sum + shares[i]!.weight, 0);
    const pool = left;
    let capped = false;
    for (const i of open) {
      const room = cap[i]! - got[i]!;
      const exact = (pool * shares[i]!.weight) / weights;
      const give = Math.min(Math.floor(exact), room);
      fraction[i] = exact - Math.floor(exact);
      got[i] = got[i]! + give;
      left -= give;
      if (give === room) capped = true;
    }
    if (!capped) {
      // Rounding left fewer replicas than open clusters: one each, largest fraction first, ties in hash order
      // (open is in hash order and the sort is stable).
      const byFraction = [...open].sort((a, b) => fraction[b]! - fraction[a]!);
      for (const i of byFraction) {
        if (left === 0) break;
        got[i] = got[i]! + 1;
        left -= 1;
      }
    }
    open = open.filter((i) => got[i]! < cap[i]!);
  }

  const placed = shares.map((s, i) => [s.name, got[i]!] as const).filter(([, n]) => n > 0);
  placed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { replicas: Object.fromEntries(placed), unplaced: left };
}
