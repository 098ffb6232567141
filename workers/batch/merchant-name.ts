/**
 * Merchant names as the reference data sees them. Broker names carry store numbers, terminal ids
 * and references (`ALBERT HEIJN 1234 AMSTERDAM`, `AMZN MKTP NL*2K4LQ91`), so they are matched and
 * reported in two cleaned forms, both computed in TypeScript while the archive is validated.
 */

/**
 * Lower case, accents folded, card-processor punctuation (`*`, `/`, `#`, `,`) turned into single
 * spaces; every token kept, digits included. The reference data's keys are prefixes of this
 * (whole words), which keeps brands with digits (`O2`, `HOLLAND2STAY`) matchable.
 */
export function merchantMatchName(name: string): string {
  // Folding accents is the slow part, and most names are plain ASCII.
  const folded = /^[\x20-\x7e]*$/.test(name) ? name : name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  return folded
    .toLowerCase()
    .replace(/[^a-z0-9&.'+-]+/g, ' ')
    .split(' ')
    .filter((token) => /[a-z0-9]/.test(token))
    .join(' ');
}

/** A short token with one digit is a name (`o2`, `3m`), not a number or a reference. */
const SHORT_NAME_WITH_DIGIT = /^(?=.{1,3}$)[^\d]*\d[^\d]*$/;

/**
 * The `merchant_normalised` column: the match name without the tokens that carry digits (store
 * numbers, terminal ids, references), short names like `o2` excepted.
 * `ALBERT HEIJN 1234 AMSTERDAM` → `albert heijn amsterdam`.
 */
export function normaliseMerchantName(name: string): string {
  return merchantMatchName(name)
    .split(' ')
    .filter((token) => token !== '' && (!/\d/.test(token) || SHORT_NAME_WITH_DIGIT.test(token)))
    .join(' ');
}

/** The first word of a name: the reference data is joined on it before the whole-word prefix check. */
export function firstWord(name: string): string {
  const space = name.indexOf(' ');
  return space === -1 ? name : name.slice(0, space);
}
