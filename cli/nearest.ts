/**
 * "Did you mean": the known names closest to a name that is not one of them, for error messages.
 * Closest by edit distance (insertions, deletions, substitutions), names that contain the given text
 * (or the given text's last segment) first.
 */

/** The edit distance between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Up to `limit` names of `known` nearest to `given`: those containing it (or its part after the last
 * "/") first, then by edit distance; a name farther than half its length is not suggested unless it
 * contains the text. Ties keep `known`'s order.
 */
export function nearestNames(given: string, known: readonly string[], limit = 3): string[] {
  const text = given.toLowerCase();
  const tail = text.slice(text.lastIndexOf("/") + 1);
  const scored = known.map((name, index) => {
    const lower = name.toLowerCase();
    const contains = text.length > 0 && (lower.includes(text) || (tail.length >= 3 && lower.includes(tail)));
    return { name, index, contains, distance: editDistance(text, lower) };
  });
  return scored
    .filter((entry) => entry.contains || entry.distance <= Math.max(2, Math.floor(entry.name.length / 2)))
    .sort((a, b) => Number(b.contains) - Number(a.contains) || a.distance - b.distance || a.index - b.index)
    .slice(0, limit)
    .map((entry) => entry.name);
}
