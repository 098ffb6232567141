/**
 * When in the local day each kind of merchant books payments: 24 relative weights, hour 0 to 23.
 * The anomaly "unusual time" is a payment moved far outside its merchant's profile, so the
 * profiles matter: bars and taxis at 01:00 are normal, a supermarket at 03:00 is not.
 */
export const HOUR_PROFILES = {
  grocery: [0, 0, 0, 0, 0, 0, 0.2, 1, 2, 3, 4, 5, 6, 5, 4, 5, 7, 9, 10, 8, 5, 3, 1, 0.2],
  shop: [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 2, 4, 6, 7, 7, 7, 7, 8, 8, 6, 4, 3, 1.5, 0.3, 0],
  meal: [0.4, 0.2, 0, 0, 0, 0, 0, 0.5, 2, 2, 2, 5, 10, 9, 4, 2, 2, 4, 9, 11, 9, 6, 3, 1],
  bar: [4, 3, 1.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.5, 1, 1, 1, 1.5, 3, 6, 8, 9, 10, 10, 9, 7],
  commute: [0.2, 0.1, 0, 0, 0, 0.5, 3, 9, 10, 5, 3, 3, 3, 3, 3, 4, 6, 9, 9, 5, 3, 2, 1, 0.5],
  taxi: [5, 5, 3, 1.5, 0.5, 0.5, 1, 2, 3, 2, 2, 2, 2, 2, 2, 2, 3, 4, 5, 5, 5, 6, 6, 6],
  fuel: [0.1, 0, 0, 0, 0, 0.3, 2, 5, 6, 5, 5, 5, 5, 5, 5, 6, 7, 8, 7, 5, 3, 2, 1, 0.3],
  online: [2, 1.5, 1, 0.7, 0.5, 0.5, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4],
  office: [0, 0, 0, 0, 0, 0, 0, 1, 5, 8, 9, 9, 6, 7, 9, 9, 8, 5, 1, 0, 0, 0, 0, 0],
  evening: [0.5, 0.2, 0, 0, 0, 0, 0, 0, 0, 0.5, 1, 2, 3, 3, 3, 4, 4, 5, 6, 8, 9, 8, 5, 2],
  /** Direct debits and salaries: booked by the bank's overnight batch. */
  batch: [6, 8, 9, 8, 7, 6, 4, 2, 1, 0.5, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1, 3],
  any: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
} as const satisfies Record<string, readonly number[]>;

export type HourProfile = keyof typeof HOUR_PROFILES;

/** Profiles a payment can be moved away from to make an "unusual time" anomaly. */
export const DAYTIME_PROFILES: ReadonlySet<HourProfile> = new Set(['grocery', 'shop', 'office', 'commute', 'fuel']);
