/**
 * The categoriser's classes, in the order of its output vector. Appending is a new model version;
 * reordering silently mislabels every prediction, so the manifest pins this list's hash.
 */
export const CATEGORIES = [
  'groceries',
  'dining',
  'transport',
  'housing',
  'utilities',
  'shopping',
  'entertainment',
  'health',
  'travel',
  'income',
  'transfers',
  'other',
] as const;

export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}
