import { SignJWT } from 'jose';
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
