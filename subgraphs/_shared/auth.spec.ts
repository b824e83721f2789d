import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { bearerToken, createTokenVerifier, signToken } from './auth.js';
import { DomainError } from './errors.js';

const secret = 'a-test-secret-of-enough-length';
const verifier = createTokenVerifier({ secret });

const code = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`;
  }
};

describe('token verification', () => {
  it('round-trips sub, tenant and roles', async () => {
    const token = await signToken({ sub: 'a1', tenant: 'demo', roles: ['agent', 'supervisor'] }, secret);
    expect(await verifier.verify(token)).toEqual({ sub: 'a1', tenant: 'demo', roles: ['agent', 'supervisor'] });
  });

  it('refuses another secret, an expired token, and missing or unknown claims', async () => {
    const sign = (claims: Record<string, unknown>, s = secret, exp = '1h') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(s));
    expect(await code(verifier.verify(await sign({ sub: 'x', tenant: 't', roles: ['agent'] }, 'another-secret-of-enough-len')))).toBe('UNAUTHENTICATED');
    expect(await code(verifier.verify(await sign({ sub: 'x', tenant: 't', roles: ['agent'] }, secret, '-1m')))).toBe('UNAUTHENTICATED');
    expect(await code(verifier.verify(await sign({ sub: 'x', roles: ['agent'] })))).toBe('UNAUTHENTICATED');
    expect(await code(verifier.verify(await sign({ sub: 'x', tenant: 't', roles: ['root'] })))).toBe('UNAUTHENTICATED');
    expect(await code(verifier.verify(await sign({ tenant: 't', roles: ['agent'] })))).toBe('UNAUTHENTICATED');
    expect(await code(verifier.verify('garbage'))).toBe('UNAUTHENTICATED');
  });

  it('parses only "Bearer <token>" headers', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic dXNlcg==')).toThrow(DomainError);
  });
});

describe('JWKS verification', () => {
  it('verifies RS256 tokens against keys served by a JWKS URL (a local identity-provider stand-in)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
      const v = createTokenVerifier({ secret: 'unused-hs256-secret-xxxx', jwksUrl: url });
      const token = await new SignJWT({ tenant: 'demo', roles: ['supervisor'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('s1').setExpirationTime('5m').sign(privateKey);
      expect(await v.verify(token)).toEqual({ sub: 's1', tenant: 'demo', roles: ['supervisor'] });
      const other = await generateKeyPair('RS256');
      const forged = await new SignJWT({ tenant: 'demo', roles: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('s1').setExpirationTime('5m').sign(other.privateKey);
      expect(await code(v.verify(forged))).toBe('UNAUTHENTICATED');
      // an HS256 token signed with the configured secret is not accepted once a JWKS is configured
      expect(await code(v.verify(await signToken({ sub: 's', tenant: 'demo', roles: ['admin'] }, 'unused-hs256-secret-xxxx')))).toBe('UNAUTHENTICATED');
    } finally {
      server.close();
    }
  });
});
