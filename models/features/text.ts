/**
 * Merchant names and descriptions as the models see them. Store numbers, card numbers and
 * payment references change from line to line while meaning nothing, so any token holding a
 * digit is dropped; accents are folded so `MÜLLER` and `MULLER` meet.
 */
export function textTokens(text: string): string[] {
  // Most names are plain ASCII; skip the (comparatively slow) Unicode normalisation for them.
  const ascii = /^[\x20-\x7e]*$/.test(text);
  const folded = (ascii ? text : text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')).toLowerCase();
  const tokens: string[] = [];
  for (const raw of folded.split(/[^a-z0-9]+/)) {
    if (raw.length === 0 || /[0-9]/.test(raw)) continue;
    tokens.push(raw);
  }
  return tokens;
}

/** The first two name tokens: what stays the same across a chain's stores (`albert heijn`). */
export function brandKey(tokens: readonly string[]): string {
  return tokens.slice(0, 2).join(' ');
}

/** 32-bit FNV-1a over UTF-16 code units: small, fast, and the same on every platform. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
