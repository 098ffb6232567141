import { z } from 'zod';
import { CATEGORIES } from './categories.js';
import { transactionChangeSchema } from './transaction-change.js';

export const SCORED_RESULT_VERSION = 1 as const;

const moneySchema = z.object({ minor: z.number().int().safe(), currency: z.string().length(3) });

/** What the scorer writes to the results stream, and the projector turns into the view. */
export const scoredResultSchema = z.object({
  v: z.literal(SCORED_RESULT_VERSION),
  transactionId: z.string(),
  userId: z.string(),
  accountId: z.string(),
  bookedAt: z.string(),
  amount: moneySchema,
  merchant: z.object({ name: z.string(), mcc: z.string().optional() }),
  category: z.enum(CATEGORIES),
  /** Probability per category, same order as `CATEGORIES`. */
  categoryScores: z.array(z.number()).length(CATEGORIES.length),
  /** In [0, 1]; higher is more unusual for this user. */
  anomalyScore: z.number().min(0).max(1),
  isAnomaly: z.boolean(),
  models: z.object({ categoriser: z.string(), anomaly: z.string() }),
  contentHash: z.string(),
  ingestedAt: z.string(),
  scoredAt: z.string(),
  /** Carried unchanged from the raw record (see `transaction-change.ts`); absent means `added` at revision 0. */
  change: transactionChangeSchema.optional(),
});

export type ScoredResult = z.infer<typeof scoredResultSchema>;
