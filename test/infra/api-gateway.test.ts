import { expect } from 'chai';
import { ConfigError } from '../../shared/errors.js';
import { TASK_ROLE_GRANTS } from '../../shared/iam/grants.js';
import { API_CONTAINER_PORT, INSIGHTS_ROUTE, PAGE_ROUTES } from '../../infra/components/api-gateway.js';
import { NAMESPACE, parseStackConfig } from '../../infra/config.js';
import type { Plan } from '../../infra/planner/plan.js';
import { json, named, ofType, planned, stackConfig } from './helpers.js';

const T = {
  api: 'aws:apigatewayv2/api:Api',
  authorizer: 'aws:apigatewayv2/authorizer:Authorizer',
  route: 'aws:apigatewayv2/route:Route',
  integration: 'aws:apigatewayv2/integration:Integration',
  stage: 'aws:apigatewayv2/stage:Stage',
  vpcLink: 'aws:apigatewayv2/vpcLink:VpcLink',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  service: 'aws:ecs/service:Service',
  taskDefinition: 'aws:ecs/taskDefinition:TaskDefinition',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  ingressRule: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egressRule: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  endpoint: 'aws:ec2/vpcEndpoint:VpcEndpoint',
  userPool: 'aws:cognito/userPool:UserPool',
  client: 'aws:cognito/userPoolClient:UserPoolClient',
  target: 'aws:appautoscaling/target:Target',
  policy: 'aws:appautoscaling/policy:Policy',
  loadBalancer: 'aws:lb/loadBalancer:LoadBalancer',
} as const;

/** Types that would open another way in from the internet besides the HTTP APIs. */
const OTHER_PUBLIC_ENTRIES = [
  T.loadBalancer,
  'aws:alb/loadBalancer:LoadBalancer',
  'aws:apigateway/restApi:RestApi',
  'aws:lambda/functionUrl:FunctionUrl',
  'aws:cloudfront/distribution:Distribution',
  'aws:ec2/eip:Eip',
  'aws:ec2/instance:Instance',
] as const;

describe('Component: ApiGateway (prod under mocks)', () => {
  let plan: Plan;
  const config = stackConfig('prod').compute!.readApi;
  before(async () => {
    plan = await planned('prod');
  });
  const readApiRoutes = () => ofType(plan.resources, T.route).filter((r) => r.name.startsWith('read-api-'));

  it('puts the insights route behind a JWT authoriser of the stack user pool and its app client, and only the page routes without one', () => {
    // Act
    const insights = named(plan.resources, T.route, 'read-api-insights');
    const authorizer = named(plan.resources, T.authorizer, 'read-api-authorizer');
    const jwt = authorizer.inputs['jwtConfiguration'] as { issuer: string; audiences: string[] };
    const pool = named(plan.resources, T.userPool, 'read-api-users');
    const open = readApiRoutes().filter((r) => r.inputs['authorizationType'] !== 'JWT');

    // Assess
    expect(insights.inputs).to.include({ routeKey: INSIGHTS_ROUTE, authorizationType: 'JWT', authorizerId: `${authorizer.name}-id` });
    expect(authorizer.inputs).to.include({ authorizerType: 'JWT' });
    expect(authorizer.inputs['identitySources']).to.deep.equal(['$request.header.Authorization']);
    expect(jwt.issuer).to.match(new RegExp(`^https://cognito-idp\\.eu-west-1\\.amazonaws\\.com/eu-west-1_${pool.name}$`));
    expect(jwt.audiences).to.deep.equal([`${named(plan.resources, T.client, 'read-api-app').name}-id`]);
    expect(named(plan.resources, T.client, 'read-api-app').inputs['generateSecret']).to.equal(false);
    expect(open.map((r) => r.inputs['routeKey'])).to.have.members([...PAGE_ROUTES]);
    expect(readApiRoutes()).to.have.length(PAGE_ROUTES.length + 1);
  });

  it('gives the api tasks the same issuer, audience and claim as the authoriser, and only the view to query', () => {
    // Act
    const jwt = named(plan.resources, T.authorizer, 'read-api-authorizer').inputs['jwtConfiguration'] as { issuer: string; audiences: string[] };
    const [container] = json<{ command: string[]; environment: { name: string; value: string }[]; portMappings?: { containerPort: number }[] }[]>(
      named(plan.resources, T.taskDefinition, 'read-api-task-task').inputs['containerDefinitions'],
    );
    const env = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
    const policy = json<{ Statement: { Action: string | string[] }[] }>(named(plan.resources, T.rolePolicy, 'read-api-task-task-policy').inputs['policy']);

    // Assess
    expect(container?.command).to.deep.equal(['node', 'workers/main.js', 'api']);
    expect(container?.portMappings).to.deep.equal([{ containerPort: API_CONTAINER_PORT, protocol: 'tcp' }]);
    expect(env).to.include({ AUTH_ISSUER: jwt.issuer, AUTH_AUDIENCE: jwt.audiences[0], AUTH_JWKS_URL: `${jwt.issuer}/.well-known/jwks.json`, AUTH_USER_CLAIM: config.userClaim });
    expect(env).to.include({ API_PORT: String(API_CONTAINER_PORT), API_USER_RATE_PER_SEC: String(config.perUser.rate), API_USER_BURST: String(config.perUser.burst) });
    expect(policy.Statement.flatMap((s) => s.Action).sort()).to.deep.equal(TASK_ROLE_GRANTS.api.flatMap((g) => g.actions).sort());
  });

  it('reaches the api tasks through a VPC link and Cloud Map only: the tasks admit the link alone, on the API port, and have no public IP', () => {
    // Act
    const integration = named(plan.resources, T.integration, 'read-api-integration');
    const service = named(plan.resources, T.service, 'read-api-task-service');
    const ingress = ofType(plan.resources, T.ingressRule).filter((r) => r.inputs['securityGroupId'] === 'network-api-id');

    // Assess
    expect(integration.inputs).to.include({ connectionType: 'VPC_LINK', integrationType: 'HTTP_PROXY', connectionId: 'read-api-vpc-link-id' });
    expect(String(integration.inputs['integrationUri'])).to.match(/servicediscovery/);
    expect(ofType(plan.resources, T.vpcLink).map((l) => l.name)).to.include('read-api-vpc-link');
    expect(service.inputs['serviceRegistries']).to.deep.include({ containerPort: API_CONTAINER_PORT, containerName: 'api' });
    expect((service.inputs['networkConfiguration'] as { assignPublicIp: boolean }).assignPublicIp).to.equal(false);
    expect(ingress).to.have.length(1);
    expect(ingress[0]?.inputs).to.include({ referencedSecurityGroupId: 'read-api-link-id', fromPort: API_CONTAINER_PORT, toPort: API_CONTAINER_PORT });
  });

  it('has no public entry besides the HTTP APIs (the read API and the webhook endpoint)', () => {
    // Act
    // A NAT gateway's address takes nothing in: it only answers connections the tasks opened.
    const others = plan.resources.filter((r) => (OTHER_PUBLIC_ENTRIES as readonly string[]).includes(r.type) && !r.name.startsWith('network-nat-'));
    const apis = ofType(plan.resources, T.api).map((a) => a.name);

    // Assess
    expect(others.map((r) => `${r.type} ${r.name}`)).to.deep.equal([]);
    expect(apis).to.have.members(['read-api-api', 'webhook-api']);
    for (const service of ofType(plan.resources, T.service)) {
      expect((service.inputs['networkConfiguration'] as { assignPublicIp: boolean }).assignPublicIp, service.name).to.equal(false);
    }
  });

  it('throttles the stage per the stack config and logs every request to an encrypted log group with retention', () => {
    // Act
    const stage = named(plan.resources, T.stage, 'read-api-stage');
    const settings = stage.inputs['defaultRouteSettings'] as { throttlingRateLimit: number; throttlingBurstLimit: number };
    const logs = named(plan.resources, T.logGroup, 'read-api-access-logs');
    const access = stage.inputs['accessLogSettings'] as { destinationArn: string; format: string };

    // Assess
    expect(settings).to.include({ throttlingRateLimit: config.throttle.rate, throttlingBurstLimit: config.throttle.burst });
    expect(logs.inputs['kmsKeyId']).to.be.a('string').and.not.equal('');
    expect(logs.inputs['retentionInDays']).to.equal(stackConfig('prod').logRetentionDays);
    expect(access.destinationArn).to.match(/log-group:\/realtime-insights\/prod\/api-access$/);
    expect(Object.keys(JSON.parse(access.format) as object)).to.include.members(['requestId', 'route', 'status', 'user']);
  });

  it('scales the api service on CPU between the configured bounds', () => {
    // Act
    const target = named(plan.resources, T.target, 'read-api-scaling');
    const policy = named(plan.resources, T.policy, 'read-api-cpu');
    const tracking = policy.inputs['targetTrackingScalingPolicyConfiguration'] as { targetValue: number; predefinedMetricSpecification: { predefinedMetricType: string } };

    // Assess
    expect(target.inputs).to.include({ minCapacity: config.scaling.min, maxCapacity: config.scaling.max });
    expect(tracking.targetValue).to.equal(config.scaling.cpuPercent);
    expect(tracking.predefinedMetricSpecification.predefinedMetricType).to.equal('ECSServiceAverageCPUUtilization');
  });

  it('lets the api tasks fetch Cognito signing keys through an interface endpoint, not the internet', () => {
    // Act
    const endpoint = named(plan.resources, T.endpoint, 'read-api-cognito');
    const egress = ofType(plan.resources, T.egressRule).filter((r) => r.inputs['securityGroupId'] === 'network-api-id' && r.name.startsWith('read-api-'));

    // Assess
    expect(endpoint.inputs).to.include({ serviceName: 'com.amazonaws.eu-west-1.cognito-idp', vpcEndpointType: 'Interface', privateDnsEnabled: true });
    expect(egress.map((r) => r.inputs)).to.deep.equal([{ ...egress[0]?.inputs, referencedSecurityGroupId: 'read-api-cognito-endpoint-id', fromPort: 443, toPort: 443 }]);
  });
});

describe('Function: parseStackConfig (readApi)', () => {
  const k = (name: string) => `${NAMESPACE}:${name}`;
  const base = (readApi: object): Record<string, string> => ({
    'aws:region': 'eu-west-1',
    [k('brokerUrl')]: 'https://broker.example.com',
    [k('brokerCidrs')]: '["10.0.0.0/24"]',
    [k('brokerApiKey')]: 'broker-key',
    [k('redisAuthToken')]: 'a-valid-auth-token-0123456789',
    [k('readApi')]: JSON.stringify(readApi),
  });
  const problems = (values: Record<string, string>) => {
    try {
      parseStackConfig('dev', (key) => values[key]);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as ConfigError).issues.map((i) => i.key);
    }
    return [];
  };

  it('accepts an external issuer with its JWKS ranges inside the VPC, and reads its claim', () => {
    // Prepare
    const values = base({ identity: 'external', issuer: 'https://idp.example', audience: 'insights', jwksUrl: 'https://idp.example/jwks', jwksCidrs: ['10.0.1.0/24'], userClaim: 'custom:user_id' });

    // Act
    const readApi = parseStackConfig('dev', (key) => values[key]).compute?.readApi;

    // Assess
    expect(readApi).to.include({ identity: 'external', issuer: 'https://idp.example', audience: 'insights', userClaim: 'custom:user_id' });
    expect(readApi?.jwksCidrs).to.deep.equal(['10.0.1.0/24']);
  });

  it('names every missing setting of an external issuer, and refuses issuer settings beside Cognito', () => {
    // Act
    const external = problems(base({ identity: 'external' }));
    const cognito = problems(base({ identity: 'cognito', issuer: 'https://idp.example' }));

    // Assess
    expect(external).to.have.members(['issuer', 'audience', 'jwksUrl', 'jwksCidrs'].map((n) => `${k('readApi')}.${n}`));
    expect(cognito).to.deep.equal([`${k('readApi')}.issuer`]);
  });

  it('refuses JWKS ranges outside the VPC without NAT, inverted scaling bounds and a plain http issuer', () => {
    // Prepare
    const external = { identity: 'external', issuer: 'https://idp.example', audience: 'a', jwksUrl: 'https://idp.example/jwks' };

    // Act
    const outside = problems(base({ ...external, jwksCidrs: ['203.0.113.0/24'], scaling: { min: 5, max: 2 } }));
    const plain = problems(base({ ...external, issuer: 'http://idp.example', jwksCidrs: ['10.0.1.0/24'] }));

    // Assess
    expect(outside).to.have.members([`${k('readApi')}.jwksCidrs`, `${k('readApi')}.scaling.min`]);
    expect(plain).to.deep.equal([`${k('readApi')}.issuer`]);
  });
});
