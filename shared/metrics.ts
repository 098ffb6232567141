/**
 * Custom CloudWatch metrics the workers write as Embedded Metric Format log lines
 * (`workers/lib/metrics.ts`; namespace METRICS_NAMESPACE, dimension `Stack` = INSIGHTS_STACK, and
 * `Role` where several roles write one metric), named once here so the workers that write them and
 * the alarms, dashboard and scaling policies infra builds on them cannot disagree. The scorer's
 * scaling metric is named by BACKLOG_METRIC_NAME in the worker environment contract instead,
 * because infra passes it in.
 */
export const PIPELINE_METRICS = {
  /** BullMQ scoring jobs that failed for good (after every retry), per period. */
  jobsFailed: 'ScoringJobsFailed',
  /** BullMQ scoring jobs found stalled (a scorer lost its lock: killed, or its loop blocked), per period. */
  jobsStalled: 'ScoringJobsStalled',
  /** Connection syncs waiting or running (BullMQ sync queue); the crawler service scales on it. */
  syncBacklog: 'SyncBacklog',
  /** Webhooks refused (unsigned, bad signature, stale, body not matching its signature), per period. */
  webhooksRefused: 'WebhooksRefused',
  /** How far a stream-reader or projector is behind the tip of its stream: the maximum over its shards, in ms (dimensions Stack, Role). */
  millisBehindLatest: 'MillisBehindLatest',
} as const;

/** The dimension every custom metric carries. */
export const METRIC_STACK_DIMENSION = 'Stack' as const;
/** The dimension that tells roles apart where several write one metric (`stream-reader`, `projector`). */
export const METRIC_ROLE_DIMENSION = 'Role' as const;
