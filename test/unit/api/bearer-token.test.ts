import { expect } from 'chai';
import { bearerToken } from '../../../workers/api/auth/bearer-token.js';
import type { AuthenticationError } from '../../../workers/api/errors.js';

describe('Function: bearerToken', () => {
  it('reads the token of a Bearer header, scheme in any case', () => {
    expect(bearerToken('Bearer abc.def.ghi')).to.equal('abc.def.ghi');
    expect(bearerToken('bearer  abc.def.ghi ')).to.equal('abc.def.ghi');
  });

  it('says missing-token for no header and malformed-token for another scheme or shape', () => {
    // Prepare
    const reason = (header: string | undefined) => {
      try {
        bearerToken(header);
        return 'accepted';
      } catch (error) {
        return (error as AuthenticationError).reason;
      }
    };

    // Act
    const reasons = [undefined, '', '  ', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Token abc'].map(reason);

    // Assess
    expect(reasons).to.deep.equal(['missing-token', 'missing-token', 'missing-token', 'malformed-token', 'malformed-token', 'malformed-token', 'malformed-token']);
  });
});
