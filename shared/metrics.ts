/**
 * Custom CloudWatch metrics the workers publish (namespace METRICS_NAMESPACE, dimension
 * `Stack` = INSIGHTS_STACK), named once here so the workers that publish them and the alarms and
 * dashboard infra builds on them cannot disagree. The scorer's scaling metric is named by
 * BACKLOG_METRIC_NAME in the worker environment contract instead, because infra passes it in.
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
} as const;

/** The dimension every custom metric carries. */
export const METRIC_STACK_DIMENSION = 'Stack' as const;
