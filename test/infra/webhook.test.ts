import { expect } from 'chai';
import { PIPELINE_METRICS } from '../../shared/metrics.js';
import { TASK_ROLE_GRANTS } from '../../shared/iam/grants.js';
import { WEBHOOK_CONTAINER_PORT, WEBHOOK_ROUTE, syncBacklogPerTaskMetrics } from '../../infra/components/webhook.js';
import type { Plan } from '../../infra/planner/plan.js';
import { json, named, ofType, planned } from './helpers.js';

const T = {
  api: 'aws:apigatewayv2/api:Api',
  route: 'aws:apigatewayv2/route:Route',
  integration: 'aws:apigatewayv2/integration:Integration',
  stage: 'aws:apigatewayv2/stage:Stage',
  vpcLink: 'aws:apigatewayv2/vpcLink:VpcLink',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  service: 'aws:ecs/service:Service',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  ingressRule: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  target: 'aws:appautoscaling/target:Target',
  policy: 'aws:appautoscaling/policy:Policy',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
} as const;

describe('Component: Webhook (prod under mocks)', () => {
  let plan: Plan;
  before(async () => {
    plan = await planned('prod');
  });

  it('serves the one webhook route through a VPC link to the webhook tasks, throttled, with encrypted access logs', () => {
    // Act
    const route = named(plan.resources, T.route, 'webhook-route');
    const integration = named(plan.resources, T.integration, 'webhook-integration');
    const stage = named(plan.resources, T.stage, 'webhook-stage');
    const accessLogs = named(plan.resources, T.logGroup, 'webhook-access-logs');

    // Assess
    expect(ofType(plan.resources, T.route).filter((r) => r.name.startsWith('webhook-'))).to.have.length(1);
    expect(route.inputs['routeKey']).to.equal(WEBHOOK_ROUTE);
    expect(integration.inputs).to.include({ connectionType: 'VPC_LINK', integrationType: 'HTTP_PROXY' });
    expect(ofType(plan.resources, T.vpcLink).filter((l) => l.name.startsWith('webhook-'))).to.have.length(1);
    expect((stage.inputs['defaultRouteSettings'] as { throttlingRateLimit?: number }).throttlingRateLimit).to.be.greaterThan(0);
    expect(accessLogs.inputs['kmsKeyId']).to.be.a('string').and.not.equal('');
  });

  it('runs the webhook role as its own service, reachable on its port from the VPC link only, with no task policy', () => {
    // Act
    const service = named(plan.resources, T.service, 'webhook-task-service');
    const ingress = ofType(plan.resources, T.ingressRule).filter((r) => r.name.startsWith('webhook-'));
    const containers = json<{ command: string[]; portMappings?: { containerPort: number }[] }[]>(named(plan.resources, T.taskDefinition, 'webhook-task-task').inputs['containerDefinitions']);
    const taskPolicies = ofType(plan.resources, T.rolePolicy).filter((p) => p.name === 'webhook-task-task-policy');

    // Assess
    expect(service.inputs['serviceRegistries']).to.not.equal(undefined);
    expect(containers[0]?.command).to.deep.equal(['node', 'workers/main.js', 'webhook']);
    expect(containers[0]?.portMappings).to.deep.equal([{ containerPort: WEBHOOK_CONTAINER_PORT, protocol: 'tcp' }]);
    expect(ingress).to.have.length(1);
    expect(ingress[0]?.inputs).to.include({ fromPort: WEBHOOK_CONTAINER_PORT, toPort: WEBHOOK_CONTAINER_PORT });
    expect(ingress[0]?.inputs['cidrIpv4']).to.equal(undefined);
    // The contract grants the webhook role nothing, so it gets no policy (IAM refuses an empty one).
    expect(TASK_ROLE_GRANTS.webhook).to.deep.equal([]);
    expect(taskPolicies).to.deep.equal([]);
  });

  it('scales the crawler service on syncs per crawler task, and alarms on refused webhooks, 5xx and a stuck backlog', () => {
    // Act
    const target = named(plan.resources, T.target, 'webhook-crawler-scaling');
    const policy = named(plan.resources, T.policy, 'webhook-crawler-sync-backlog');
    const alarms = ofType(plan.resources, T.alarm).filter((a) => a.name.startsWith('webhook-'));
    const metrics = syncBacklogPerTaskMetrics({ namespace: 'N', stack: 's', clusterName: 'c', serviceName: 'crawler' });

    // Assess
    expect(target.inputs['maxCapacity'] as number).to.be.greaterThan(target.inputs['minCapacity'] as number);
    expect(policy.inputs['policyType']).to.equal('TargetTrackingScaling');
    expect(metrics.find((m) => m.returnData)?.expression).to.equal('backlog / tasks');
    expect(metrics[0]?.metricStat?.metric.metricName).to.equal(PIPELINE_METRICS.syncBacklog);
    expect(alarms.map((a) => a.inputs['metricName']).sort()).to.deep.equal(['5xx', PIPELINE_METRICS.syncBacklog, PIPELINE_METRICS.webhooksRefused].sort());
    for (const alarm of alarms) expect(alarm.inputs['alarmActions'], alarm.name).to.have.length(1);
  });
});
