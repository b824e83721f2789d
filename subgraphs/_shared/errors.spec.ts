import { GraphQLError } from 'graphql';
import { createErrorFormatter, notFound } from './errors.js';
import type { Logger } from './logger.js';

describe('error formatting', () => {
  const logged: unknown[] = [];
  const log = { error: (o: unknown) => logged.push(o) } as unknown as Logger;
  const format = createErrorFormatter(log);

  it('keeps the code and message of expected failures', () => {
    const err = new GraphQLError('x', { originalError: notFound('customer', 'c1'), path: ['customer'] });
    expect(format({ message: 'x', path: ['customer'] }, err)).toMatchObject({ message: 'customer c1 not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('masks unknown errors behind an id that the log line carries too', () => {
    const boom = new Error('ECONNREFUSED 10.0.0.3:3306 password=hunter2');
    const out = format({ message: boom.message, path: ['customers'] }, new GraphQLError(boom.message, { originalError: boom, path: ['customers'] }));
    expect(out.message).toMatch(/^Internal server error \(id [0-9a-f-]{36}\)$/);
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(out.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(logged).toContainEqual(expect.objectContaining({ errorId: out.extensions?.errorId }));
  });

  it('turns class-validator failures into BAD_USER_INPUT naming each field', () => {
    const validation = new GraphQLError('Argument Validation Error', {
      extensions: { code: 'BAD_USER_INPUT', validationErrors: [{ property: 'input', children: [{ property: 'name', constraints: { isLength: 'name must be longer than or equal to 1 characters' } }] }] },
    });
    const out = format({ message: validation.message, path: ['createCustomer'] }, validation);
    expect(out.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [{ field: 'input.name', problem: 'must be longer than or equal to 1 characters' }] });
  });
});
