import { expect } from 'chai';
import { createAwsClients } from '../../../shared/aws/clients.js';

describe('Function: createAwsClients', () => {
  it("takes the key pair and endpoint of an env it is given, not only process.env's", async () => {
    // Prepare
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER-SECRET', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' };

    // Act
    const clients = createAwsClients({ env });
    const credentials = await clients.dynamodb.config.credentials();
    const endpoint = await clients.dynamodb.config.endpoint?.();
    clients.destroy();

    // Assess
    expect(credentials).to.include({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER-SECRET' });
    expect(endpoint?.hostname).to.equal('127.0.0.1');
    expect(endpoint?.port).to.equal(9);
  });

  it('prefers explicit credentials over the env', async () => {
    const clients = createAwsClients({ env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, credentials: { accessKeyId: 'c', secretAccessKey: 'd' } });
    const credentials = await clients.s3.config.credentials();
    clients.destroy();
    expect(credentials).to.include({ accessKeyId: 'c', secretAccessKey: 'd' });
  });
});
