/**
 * The engine's pending-completion queues. An entry is (NBL slot, token): the token is the owed
 * completion's sequence number, so an entry whose completion is no longer owed when it is taken
 * is recognised as stale and skipped (negative tokens are completions no injection owes, which
 * only the mutants queue). Every operation is O(1) (amortised: the ring doubles when full).
 */

/** mulberry32: a tiny, fast, seedable 32-bit PRNG; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A double-ended ring buffer of (slot, token) pairs: FIFO takes from the front, LIFO from the back. */
export class CompletionDeque {
  private slots: Int32Array;
  private tokens: Float64Array;
  private head = 0;
  private count = 0;
  private mask: number;
  /** Set by `takeFront` / `takeBack`: the entry taken. */
  takenSlot = 0;
  takenToken = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.tokens = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  get length(): number {
    return this.count;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  pushBack(slot: number, token: number): void {
    if (this.count === this.slots.length) this.grow();
    const at = (this.head + this.count) & this.mask;
    this.slots[at] = slot;
    this.tokens[at] = token;
    this.count++;
  }

  pushFront(slot: number, token: number): void {
    if (this.count === this.slots.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.slots[this.head] = slot;
    this.tokens[this.head] = token;
    this.count++;
  }

  /** Removes the oldest entry into takenSlot/takenToken; false when empty. */
  takeFront(): boolean {
    if (this.count === 0) return false;
    this.takenSlot = this.slots[this.head]!;
    this.takenToken = this.tokens[this.head]!;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return true;
  }

  /** Removes the newest entry into takenSlot/takenToken; false when empty. */
  takeBack(): boolean {
    if (this.count === 0) return false;
    this.count--;
    const at = (this.head + this.count) & this.mask;
    this.takenSlot = this.slots[at]!;
    this.takenToken = this.tokens[at]!;
    return true;
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    const slots = new Int32Array(capacity);
    const tokens = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & this.mask;
      slots[i] = this.slots[from]!;
      tokens[i] = this.tokens[from]!;
    }
    this.slots = slots;
    this.tokens = tokens;
    this.head = 0;
    this.mask = capacity - 1;
  }
}

/** An unordered bag of (slot, token) pairs from which a seeded PRNG picks uniformly (swap-remove). */
export class CompletionBag {
  /** Interleaved (slot, token) pairs: a random pick touches one cache line. */
  private entries: Float64Array;
  private count = 0;
  takenSlot = 0;
  takenToken = 0;

  constructor(
    private readonly random: () => number,
    initialCapacity = 1024,
  ) {
    this.entries = new Float64Array(initialCapacity * 2);
  }

  get length(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
  }

  push(slot: number, token: number): void {
    if (this.count * 2 === this.entries.length) {
      const grown = new Float64Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[this.count * 2] = slot;
    this.entries[this.count * 2 + 1] = token;
    this.count++;
  }

  /** Removes a uniformly chosen entry into takenSlot/takenToken; false when empty. */
  take(): boolean {
    if (this.count === 0) return false;
    const at = Math.floor(this.random() * this.count) * 2;
    const entries = this.entries;
    this.takenSlot = entries[at]!;
    this.takenToken = entries[at + 1]!;
    this.count--;
    entries[at] = entries[this.count * 2]!;
    entries[at + 1] = entries[this.count * 2 + 1]!;
    return true;
  }
}
