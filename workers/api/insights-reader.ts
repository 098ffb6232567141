import type { InsightsRequest, UserInsights } from './insights-query.js';

export type { InsightsRequest, UserInsights } from './insights-query.js';

/**
 * What the read path needs from the view: one user's insights, or undefined when the view holds
 * nothing of theirs. The API, the page's tests and the bench depend on this alone, so the read
 * model behind it can change without touching them.
 */
export interface InsightsReader {
  get(request: InsightsRequest): Promise<UserInsights | undefined>;
}

/**
 * The answer for a signed-in user the view knows nothing about yet: the same shape as any other,
 * so "no data" and "no such user" look alike to every caller.
 */
export function emptyInsights(userId: string, now: Date = new Date()): UserInsights {
  return { userId, months: [], recent: [], anomalies: [], generatedAt: now.toISOString() };
}
