/**
 * What the federation owns in one member, kept by list + watch while a worker serves it (reconcile reads it
 * instead of a GET per key), and the member's ready endpoints per Service from its EndpointSlices.
 *
 * Only what carries the federation's ownership label is listed and watched: the member's own objects, however
 * many, cost neither the member nor the worker anything. An object that loses the label leaves the watch as a
 * deletion, and its key is reconciled like any other: its create meets the member's object and reports it as
 * not ours.
 */
import type { KubeObject } from "@kubefed/events";
import type { Logger } from "@kubefed/logging";
import { isOwnedBy, OWNED_BY_LABEL } from "@kubefed/names";
import { MEMBER_KINDS, type MemberKind } from "@kubefed/placement";
import { ENDPOINT_SLICES, ReadyEndpoints } from "./endpoints.ts";
import { isServiceKey, keyOf, kindKeyOf } from "./keys.ts";
import type { Member, MemberWatch, WatchEvent } from "./member.ts";
import type { ObservedChange } from "./ownwrites.ts";
import { toFederationError } from "@kubefed/events";

/** Lists of a member's kinds in flight at once when (re)building the cache. */
const LISTS_IN_FLIGHT = 4;

export interface MemberCacheOptions {
  readonly federation: string;
  readonly logger: Logger;
  /** Whether the worker still serves the member through this client (not stopped, active, not replaced). */
  serving(member: Member): boolean;
  /** Whether the federation places the key in this member. */
  wanted(key: string): boolean;
  /** Every Service key of the federation (their counts become known at once after a list that followed a failure). */
  services(): readonly string[];
  /** A watch event of a propagated kind. */
  changed(key: string, change: ObservedChange): void;
  /** A key to reconcile (and so report) because the member's ready endpoints of that Service changed. */
  reconcile(key: string): void;
  /** The cache cannot go on as it is (a watch expired or was refused, a list failed): relist and converge. */
  rebuild(why: string): void;
}

const resourceVersionOf = (o: KubeObject): string | undefined =>
  (o.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;

export class MemberCache {
  /** The member's objects of the propagated kinds, by key. */
  private readonly objects = new Map<string, KubeObject>();
  /** `group/kind`s whose cache is complete (listed and watched in the current generation). */
  private readonly synced = new Set<string>();
  private watches: MemberWatch[] = [];
  /** Bumped by stop: a watch loop of an older generation ends instead of watching again. */
  private gen = 0;
  /** Kept across stop: the last known counts stand until the next list. */
  private readonly endpoints = new ReadyEndpoints();
  /** Bumped by each list of the EndpointSlices: a slice watch of an older list ends. */
  private sliceGen = 0;

  constructor(private readonly o: MemberCacheOptions) {}

  /** Selects what this federation owns in a member (its ownership label). */
  private get ownedSelector(): string {
    return `${OWNED_BY_LABEL}=${this.o.federation}`;
  }

  owns(o: KubeObject): boolean {
    return isOwnedBy((o.metadata as { labels?: Record<string, string> } | undefined)?.labels, this.o.federation);
  }

  /**
   * What the federation owns in the member under a key: its object, null when it owns nothing there (an object
   * of the member's own may still be there: a create then meets AlreadyExists and reconcile reads it), undefined
   * when the cache cannot say.
   */
  cached(key: string): KubeObject | null | undefined {
    if (!this.synced.has(kindKeyOf(key))) return undefined;
    return this.objects.get(key) ?? null;
  }

  /** Keys of what the federation owns in the member, as far as the cache knows. */
  ownedKeys(): string[] {
    return [...this.objects].filter(([, o]) => this.owns(o)).map(([k]) => k);
  }

  /** The member's ready endpoints of a Service key (undefined for other kinds, and before the slices are listed). */
  readyEndpoints(key: string): number | undefined {
    return isServiceKey(key) ? this.endpoints.count(key) : undefined;
  }

  /**
   * Lists every propagated kind, a few at a time (a joining member's first write waits for the slowest of them,
   * not for the sum of all), each watched as soon as it is listed, from its own list's resourceVersion; and,
   * alongside, the EndpointSlices (a failure there retries apart). True once all are listed; false when a list
   * failed (a rebuild follows) or this generation ended meanwhile.
   */
  async start(member: Member, why: string): Promise<boolean> {
    const gen = this.gen;
    const slices = this.listEndpointSlices(member, gen, false);
    const current = () => this.o.serving(member) && this.gen === gen;
    let failed = false;
    const kinds = [...MEMBER_KINDS];
    const listNext = async (): Promise<void> => {
      for (let kind = kinds.shift(); kind !== undefined && !failed && current(); kind = kinds.shift()) {
        try {
          const { items, resourceVersion } = await member.list(kind, this.ownedSelector, current);
          if (!current() || failed) return;
          for (const o of items) this.objects.set(keyOf(kind, o), o);
          this.synced.add(`${kind.group}/${kind.kind}`);
          this.watchKind(member, kind, resourceVersion);
        } catch (e) {
          if (!current() || failed) return;
          failed = true;
          this.o.logger.warn(
            { kind: kind.kind, err: toFederationError(e).message },
            "cannot list the member's objects; retrying",
          );
          setTimeout(() => {
            if (current()) this.o.rebuild(why);
          }, 2000).unref();
        }
      }
    };
    await Promise.all(Array.from({ length: LISTS_IN_FLIGHT }, listNext));
    await slices;
    return !failed && current();
  }

  /** Stops the watches; without them the cache goes stale, so it is emptied (reconcile GETs until the next list). */
  stop(): void {
    this.gen++;
    for (const w of this.watches) w.stop();
    this.watches = [];
    this.synced.clear();
    this.objects.clear();
  }

  /**
   * Watches a kind in the member from `resourceVersion` for as long as `current()` holds, watching again from the
   * last resourceVersion seen when the stream ends; `expired` runs (after a second) when the member refuses the
   * resourceVersion (410) or the watch: the caller lists again.
   */
  private keepWatching(
    member: Member,
    kind: MemberKind,
    labelSelector: string,
    resourceVersion: string,
    current: () => boolean,
    onEvent: (e: WatchEvent) => void,
    expired: () => void,
  ): void {
    let rv = resourceVersion;
    const loop = async () => {
      while (current()) {
        let refused = false;
        const w = member.watch(kind, labelSelector, rv, (e) => {
          if (!current()) return;
          if (e.type === "ERROR") {
            refused = true;
            return;
          }
          rv = String(resourceVersionOf(e.object) ?? rv);
          if (e.type !== "BOOKMARK") onEvent(e);
        });
        this.watches.push(w);
        await w.done;
        this.watches = this.watches.filter((x) => x !== w);
        if (!current()) return;
        if (refused) {
          await new Promise((r) => setTimeout(r, 1000));
          if (current()) expired();
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    void loop();
  }

  private watchKind(member: Member, kind: MemberKind, resourceVersion: string): void {
    const gen = this.gen;
    const current = () => this.o.serving(member) && this.gen === gen;
    const onEvent = (e: WatchEvent) => {
      const o = { apiVersion: e.object.apiVersion ?? kind.version, kind: kind.kind, ...e.object } as KubeObject;
      const key = keyOf(kind, o);
      const before = this.objects.get(key);
      if (e.type === "DELETED") this.objects.delete(key);
      else this.objects.set(key, o);
      // Only ours, or what we want there, is any of our business.
      const relevant = this.owns(o) || (before !== undefined && this.owns(before)) || this.o.wanted(key);
      this.o.changed(key, {
        resourceVersion: String(resourceVersionOf(o) ?? ""),
        deleted: e.type === "DELETED",
        relevant,
      });
    };
    // Too old a resourceVersion (410) or a refusal: relist everything and converge.
    this.keepWatching(member, kind, this.ownedSelector, resourceVersion, current, onEvent, () =>
      this.o.rebuild("watch expired"),
    );
  }

  /**
   * Lists the member's EndpointSlices (all namespaces), then watches them from there. `notify`: reconcile (and so
   * report) the Services whose count the list changed; a full resync converges them anyway. A failed list
   * retries with backoff on its own; until a list succeeds, counts are unknown and not reported.
   */
  private async listEndpointSlices(member: Member, gen: number, notify: boolean, attempt = 0): Promise<void> {
    const sgen = ++this.sliceGen;
    const current = () => this.o.serving(member) && this.gen === gen && this.sliceGen === sgen;
    try {
      const { items, resourceVersion } = await member.list(ENDPOINT_SLICES, "");
      if (!current()) return;
      const wasKnown = this.endpoints.known;
      const changed = this.endpoints.replace(items);
      // From unknown to known: every Service placed here gets its count.
      if (notify) this.endpointsChanged(wasKnown ? changed : this.o.services());
      this.watchEndpointSlices(member, gen, sgen, resourceVersion);
    } catch (e) {
      if (!current()) return;
      this.o.logger.warn(
        { attempt, err: toFederationError(e).message },
        "cannot list the member's EndpointSlices; ready endpoint counts wait",
      );
      const delay = Math.min(60_000, 2000 * 2 ** Math.min(attempt, 5));
      setTimeout(() => {
        if (current()) void this.listEndpointSlices(member, gen, true, attempt + 1);
      }, delay).unref();
    }
  }

  private watchEndpointSlices(member: Member, gen: number, sgen: number, resourceVersion: string): void {
    const current = () => this.o.serving(member) && this.gen === gen && this.sliceGen === sgen;
    const onEvent = (e: WatchEvent) =>
      this.endpointsChanged(e.type === "DELETED" ? this.endpoints.remove(e.object) : this.endpoints.upsert(e.object));
    // Too old a resourceVersion (410) or a refusal: list the slices again (only them) and watch from there.
    this.keepWatching(
      member,
      ENDPOINT_SLICES,
      "",
      resourceVersion,
      current,
      onEvent,
      () => void this.listEndpointSlices(member, gen, true),
    );
  }

  /** Services whose ready endpoint count changed: reconcile (and so report) those placed here and ours there. */
  private endpointsChanged(services: readonly string[]): void {
    for (const key of services) {
      if (!this.o.wanted(key)) continue;
      const copy = this.cached(key);
      // Absent (the Service watch will reconcile it) or not ours: its endpoints are none of our business.
      if (copy === null || (copy !== undefined && !this.owns(copy))) continue;
      this.o.reconcile(key);
    }
  }
}
