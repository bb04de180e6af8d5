/**
 * PersistentMap against a plain Map: random sequences of set and delete over a small key space (with
 * keys whose 32-bit hashes collide), checking after every operation the size, every lookup and the
 * iteration order, and at the end that every earlier version still holds what it held.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashOf, PersistentMap } from "./persistent-map.ts";

/** Pairs of distinct keys with the same hash, found by a birthday search. */
function collidingKeys(pairs: number): string[] {
  const seen = new Map<number, string>();
  const found: string[] = [];
  for (let index = 0; found.length < pairs * 2; index++) {
    const key = `k${index}`;
    const other = seen.get(hashOf(key));
    if (other !== undefined) found.push(other, key);
    else seen.set(hashOf(key), key);
  }
  return found;
}

const COLLIDING = collidingKeys(2);
const KEYS = [...COLLIDING, ...Array.from({ length: 60 }, (_, index) => `n${index}`), "", "0xffffa000", "h1"];

type Operation = { readonly kind: "set"; readonly key: string; readonly value: number } | { readonly kind: "delete"; readonly key: string };
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.constantFrom(...KEYS), value: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.constantFrom(...KEYS) }) },
);

/** What a map answers: size, entries, keys and values in order, and a lookup of every key. */
function answers(map: PersistentMap<number> | ReadonlyMap<string, number>) {
  return {
    size: map.size,
    entries: [...map.entries()],
    keys: [...map.keys()],
    values: [...map.values()],
    lookups: KEYS.map((key) => [map.get(key), map.has(key)]),
  };
}

function expectSame(actual: PersistentMap<number>, expected: ReadonlyMap<string, number>): void {
  expect(answers(actual)).toEqual(answers(expected));
}

describe("PersistentMap", () => {
  it("has colliding keys to test with", () => {
    expect(hashOf(COLLIDING[0]!)).toBe(hashOf(COLLIDING[1]!));
    expect(COLLIDING[0]).not.toBe(COLLIDING[1]);
  });

  it("behaves as a Map (lookups, size, insertion order) and never changes an earlier version", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        let actual = PersistentMap.empty<number>();
        const expected = new Map<string, number>();
        const versions: [PersistentMap<number>, Map<string, number>][] = [[actual, new Map(expected)]];
        for (const op of operations) {
          if (op.kind === "set") {
            actual = actual.set(op.key, op.value);
            expected.set(op.key, op.value);
          } else {
            actual = actual.delete(op.key);
            expected.delete(op.key);
          }
          expectSame(actual, expected);
          versions.push([actual, new Map(expected)]);
        }
        for (const [version, snapshot] of versions) expectSame(version, snapshot);
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it("holds many keys: 20,000 added, half deleted, in order", () => {
    let map = PersistentMap.empty<number>();
    for (let index = 0; index < 20_000; index++) map = map.set(`id${index}`, index);
    for (let index = 0; index < 20_000; index += 2) map = map.delete(`id${index}`);
    expect(map.size).toBe(10_000);
    expect([...map.values()]).toEqual(Array.from({ length: 10_000 }, (_, index) => index * 2 + 1));
    expect(map.get("id1")).toBe(1);
    expect(map.has("id0")).toBe(false);
  });

  it("of() keeps the given order; find() scans in insertion order", () => {
    const map = PersistentMap.of([["b", 1], ["a", 2], ["c", 2]]);
    expect([...map.keys()]).toEqual(["b", "a", "c"]);
    expect(map.find((value) => value === 2)).toBe(2);
    expect(map.set("b", 5).delete("a").set("a", 7).entries().next().value).toEqual(["b", 5]);
    expect([...map.set("b", 5).delete("a").set("a", 7).keys()]).toEqual(["b", "c", "a"]);
  });
});
