/**
 * The per-dimension coverage section of a report (properties/coverage.ts): the schema, the merge of
 * shard reports, and its Markdown and HTML renderings.
 */
import { z } from "zod";

export const DimensionsSchema = z.array(
  z.strictObject({
    id: z.string(),
    title: z.string(),
    /** How many of its items reached their goal. */
    met: z.number().int().nonnegative(),
    items: z.array(
      z.strictObject({
        item: z.string(),
        /** A count of occurrences, or the largest value reached (`measure`). */
        reached: z.number().int().nonnegative(),
        goal: z.number().int().nonnegative(),
        measure: z.enum(["count", "max"]),
        met: z.boolean(),
      }),
    ),
  }),
);
export type Dimensions = z.infer<typeof DimensionsSchema>;

/** Combines the dimension coverage of shard reports: counts add up, maxima take the largest. */
export function mergeDimensions(all: readonly (Dimensions | undefined)[]): Dimensions | undefined {
  const present = all.filter((dimensions): dimensions is Dimensions => dimensions !== undefined);
  const first = present[0];
  if (first === undefined) return undefined;
  return first.map((dimension, d) => {
    const items = dimension.items.map((item, i) => {
      const values = present.map((dimensions) => dimensions[d]?.items[i]?.reached ?? 0);
      const reached = item.measure === "count" ? values.reduce((sum, value) => sum + value, 0) : Math.max(...values);
      return { ...item, reached, met: reached >= item.goal };
    });
    return { ...dimension, items, met: items.filter((item) => item.met).length };
  });
}

const figure = (item: Dimensions[number]["items"][number]): string => (item.measure === "max" ? `largest ${item.reached}` : `${item.reached} times`);

/** The Markdown section: one table per dimension, items short of their goal marked. */
export function dimensionsMarkdown(dimensions: Dimensions | undefined): string[] {
  if (dimensions === undefined) return [];
  const lines = ["", "## Coverage by dimension", "", "| dimension | items at goal |", "|---|---:|"];
  for (const dimension of dimensions) lines.push(`| ${dimension.title} | ${dimension.met} of ${dimension.items.length} |`);
  for (const dimension of dimensions) {
    lines.push("", `### ${dimension.title}`, "", "| item | reached | goal |", "|---|---:|---:|");
    for (const item of dimension.items) lines.push(`| ${item.item} | ${figure(item)} | ${item.goal}${item.met ? "" : " (**short**)"} |`);
  }
  return lines;
}

const escape = (text: string): string => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** The HTML section: the same tables. */
export function dimensionsHtml(dimensions: Dimensions | undefined): string {
  if (dimensions === undefined) return "";
  const tables = dimensions.map((dimension) => {
    const rows = dimension.items.map((item) => `<tr${item.met ? "" : ' class="short"'}><td>${escape(item.item)}</td><td>${escape(figure(item))}</td><td>${item.goal}</td></tr>`).join("");
    return `<details><summary>${escape(dimension.title)}: ${dimension.met} of ${dimension.items.length} items at goal</summary><table><tr><th>item</th><th>reached</th><th>goal</th></tr>${rows}</table></details>`;
  });
  return `<section id="dimensions"><h2>Coverage by dimension</h2>${tables.join("")}</section>`;
}
