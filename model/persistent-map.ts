/**
 * An immutable map from strings to values, with structural sharing: `set` and `delete` return a new
 * map in O(log n) and leave the old one unchanged (both stay usable), so that a model step costs
 * the same whatever the number of live objects. Iteration is in insertion order, as for a Map: a key
 * keeps its position when its value is replaced, and goes to the end when deleted and added again.
 *
 * It is a hash array mapped trie (HAMT): each level of the tree consumes 5 bits of the key's 32-bit
 * hash; a branch holds a 32-bit bitmap of its occupied slots and an array of just those children;
 * keys whose hashes are equal in all 32 bits share a collision node. Every entry carries a sequence
 * number given when its key was added, which orders the iteration.
 */

interface Entry<V> {
  readonly kind: "entry";
  readonly hash: number;
  readonly key: string;
  readonly value: V;
  /** When the key was added to the map (iteration order). */
  readonly seq: number;
}

interface Branch<V> {
  readonly kind: "branch";
  /** Bit i set: slot i (5 bits of the hash) holds a child, stored at the rank of bit i among the set bits. */
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
}

interface Collision<V> {
  readonly kind: "collision";
  readonly hash: number;
  readonly entries: readonly Entry<V>[];
}

type Node<V> = Entry<V> | Branch<V> | Collision<V>;

const BITS = 5;
const MASK = (1 << BITS) - 1;

/** FNV-1a, 32 bits (exported for the tests, which look for colliding keys). */
export function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function popcount(bits: number): number {
  let count = bits - ((bits >>> 1) & 0x55555555);
  count = (count & 0x33333333) + ((count >>> 2) & 0x33333333);
  return (Math.imul((count + (count >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** The slot of `hash` in a branch at depth `shift`, as a one-bit mask. */
const bitAt = (hash: number, shift: number): number => 1 << ((hash >>> shift) & MASK);
/** Where the child of slot `bit` sits in the branch's children array. */
const rankOf = (bitmap: number, bit: number): number => popcount(bitmap & (bit - 1));

function lookup<V>(root: Node<V> | null, hash: number, key: string): Entry<V> | undefined {
  let node = root;
  let shift = 0;
  while (node !== null) {
    switch (node.kind) {
      case "entry":
        return node.key === key ? node : undefined;
      case "collision":
        return node.hash === hash ? node.entries.find((entry) => entry.key === key) : undefined;
      case "branch": {
        const bit = bitAt(hash, shift);
        if ((node.bitmap & bit) === 0) return undefined;
        node = node.children[rankOf(node.bitmap, bit)]!;
        shift += BITS;
      }
    }
  }
  return undefined;
}

/** A copy of `items` with `item` at `index`: replacing the item there, or inserted before it. */
function withItem<T>(items: readonly T[], index: number, item: T, replace: boolean): T[] {
  const length = items.length + (replace ? 0 : 1);
  const copy = new Array<T>(length);
  for (let from = 0, to = 0; to < length; to++) {
    if (to === index) {
      copy[to] = item;
      if (replace) from++;
    } else copy[to] = items[from++]!;
  }
  return copy;
}

/** A branch at depth `shift` holding two nodes whose hashes differ (the entry and a node already in the tree). */
function split<V>(existing: Entry<V> | Collision<V>, entry: Entry<V>, shift: number): Node<V> {
  if (existing.hash === entry.hash) {
    return existing.kind === "collision" ? { kind: "collision", hash: entry.hash, entries: [...existing.entries, entry] } : { kind: "collision", hash: entry.hash, entries: [existing, entry] };
  }
  const existingBit = bitAt(existing.hash, shift);
  const entryBit = bitAt(entry.hash, shift);
  if (existingBit === entryBit) return { kind: "branch", bitmap: existingBit, children: [split(existing, entry, shift + BITS)] };
  // Children are stored by slot number (slot 31's bit is negative as an int32: compare unsigned).
  const children = existingBit >>> 0 < entryBit >>> 0 ? [existing, entry] : [entry, existing];
  return { kind: "branch", bitmap: existingBit | entryBit, children };
}

/** `node` with `entry` added, or replacing the entry of the same key. */
function insert<V>(node: Node<V> | null, entry: Entry<V>, shift: number): Node<V> {
  if (node === null) return entry;
  switch (node.kind) {
    case "entry":
      return node.key === entry.key ? entry : split(node, entry, shift);
    case "collision": {
      if (node.hash !== entry.hash) return split(node, entry, shift);
      const index = node.entries.findIndex((candidate) => candidate.key === entry.key);
      return { kind: "collision", hash: node.hash, entries: index === -1 ? [...node.entries, entry] : withItem(node.entries, index, entry, true) };
    }
    case "branch": {
      const bit = bitAt(entry.hash, shift);
      const rank = rankOf(node.bitmap, bit);
      if ((node.bitmap & bit) === 0) return { kind: "branch", bitmap: node.bitmap | bit, children: withItem(node.children, rank, entry, false) };
      return { kind: "branch", bitmap: node.bitmap, children: withItem(node.children, rank, insert(node.children[rank]!, entry, shift + BITS), true) };
    }
  }
}

/** `node` without `key` (null when nothing is left); `node` itself when the key is not in it. */
function remove<V>(node: Node<V>, hash: number, key: string, shift: number): Node<V> | null {
  switch (node.kind) {
    case "entry":
      return node.key === key ? null : node;
    case "collision": {
      const entries = node.entries.filter((entry) => entry.key !== key);
      if (entries.length === node.entries.length) return node;
      return entries.length === 1 ? entries[0]! : { kind: "collision", hash: node.hash, entries };
    }
    case "branch": {
      const bit = bitAt(hash, shift);
      if ((node.bitmap & bit) === 0) return node;
      const rank = rankOf(node.bitmap, bit);
      const child = node.children[rank]!;
      const next = remove(child, hash, key, shift + BITS);
      if (next === child) return node;
      if (next !== null) return { kind: "branch", bitmap: node.bitmap, children: withItem(node.children, rank, next, true) };
      const bitmap = node.bitmap & ~bit;
      if (bitmap === 0) return null;
      const children = node.children.filter((_, index) => index !== rank);
      // A branch left with one entry (or collision) is replaced by it: lookups compare keys at the leaves.
      if (children.length === 1 && children[0]!.kind !== "branch") return children[0]!;
      return { kind: "branch", bitmap, children };
    }
  }
}

function collect<V>(node: Node<V> | null, into: Entry<V>[]): void {
  if (node === null) return;
  if (node.kind === "entry") into.push(node);
  else if (node.kind === "collision") into.push(...node.entries);
  else for (const child of node.children) collect(child, into);
}

/** An immutable map from strings to values; see the top of this file. */
export class PersistentMap<V> implements Iterable<[string, V]> {
  private static readonly EMPTY = new PersistentMap<never>(null, 0, 0);

  private constructor(
    private readonly root: Node<V> | null,
    /** The number of keys. */
    readonly size: number,
    /** The sequence number the next added key gets. */
    private readonly nextSeq: number,
  ) {}

  /** The empty map. */
  static empty<V>(): PersistentMap<V> {
    return PersistentMap.EMPTY as PersistentMap<V>;
  }

  /** A map of the given entries, in that order. */
  static of<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    let map = PersistentMap.empty<V>();
    for (const [key, value] of entries) map = map.set(key, value);
    return map;
  }

  get(key: string): V | undefined {
    return lookup(this.root, hashOf(key), key)?.value;
  }

  has(key: string): boolean {
    return lookup(this.root, hashOf(key), key) !== undefined;
  }

  /** This map with `key` set to `value` (a key already present keeps its position). */
  set(key: string, value: V): PersistentMap<V> {
    const hash = hashOf(key);
    const existing = lookup(this.root, hash, key);
    if (existing !== undefined && existing.value === value) return this;
    const seq = existing?.seq ?? this.nextSeq;
    const root = insert(this.root, { kind: "entry", hash, key, value, seq }, 0);
    return existing !== undefined ? new PersistentMap(root, this.size, this.nextSeq) : new PersistentMap(root, this.size + 1, this.nextSeq + 1);
  }

  /** This map without `key`. */
  delete(key: string): PersistentMap<V> {
    if (this.root === null) return this;
    const root = remove(this.root, hashOf(key), key, 0);
    if (root === this.root) return this;
    return new PersistentMap(root, this.size - 1, this.nextSeq);
  }

  /** The entries in insertion order. */
  private ordered(): Entry<V>[] {
    const entries: Entry<V>[] = [];
    collect(this.root, entries);
    return entries.sort((a, b) => a.seq - b.seq);
  }

  keys(): IterableIterator<string> {
    return this.ordered().map((entry) => entry.key)[Symbol.iterator]();
  }

  values(): IterableIterator<V> {
    return this.ordered().map((entry) => entry.value)[Symbol.iterator]();
  }

  entries(): IterableIterator<[string, V]> {
    return this.ordered().map((entry): [string, V] => [entry.key, entry.value])[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** The first value, in insertion order, that satisfies `predicate` (a scan of every entry). */
  find(predicate: (value: V) => boolean): V | undefined {
    for (const value of this.values()) if (predicate(value)) return value;
    return undefined;
  }
}
