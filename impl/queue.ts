/**
 * The engine's pending-completion queues. An entry is (NBL slot, token): the token is the owed
 * completion's sequence number, so an entry whose completion was cancelled meanwhile (the NBL was
 * freed in flight) is recognised as stale when it is taken and skipped. Every operation is O(1)
 * (amortised: the ring doubles when full).
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
  private slots: Int32Array;
  private tokens: Float64Array;
  private count = 0;
  takenSlot = 0;
  takenToken = 0;

  constructor(
    private readonly random: () => number,
    initialCapacity = 1024,
  ) {
    this.slots = new Int32Array(initialCapacity);
    this.tokens = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  clear(): void {
    this.count = 0;
  }

  push(slot: number, token: number): void {
    if (this.count === this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2);
      slots.set(this.slots);
      const tokens = new Float64Array(this.tokens.length * 2);
      tokens.set(this.tokens);
      this.slots = slots;
      this.tokens = tokens;
    }
    this.slots[this.count] = slot;
    this.tokens[this.count] = token;
    this.count++;
  }

  /** Removes a uniformly chosen entry into takenSlot/takenToken; false when empty. */
  take(): boolean {
    if (this.count === 0) return false;
    const at = Math.floor(this.random() * this.count);
    this.takenSlot = this.slots[at]!;
    this.takenToken = this.tokens[at]!;
    this.count--;
    this.slots[at] = this.slots[this.count]!;
    this.tokens[at] = this.tokens[this.count]!;
    return true;
  }
}
