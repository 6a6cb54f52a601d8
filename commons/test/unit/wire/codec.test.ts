import { MessageValidationError } from '@wlm/commons/errors';
import { parseMessage, taskRequestSchema } from '@wlm/commons/wire';
import { z } from 'zod';
import { issuesOf, validRequest } from './wire-fixtures';

describe('parseMessage', () => {
  it('reads a Buffer, a string of JSON or a decoded object alike', () => {
    const request = validRequest();
    const text = JSON.stringify(request);
    expect(parseMessage(taskRequestSchema, Buffer.from(text))).toEqual(request);
    expect(parseMessage(taskRequestSchema, text)).toEqual(request);
    expect(parseMessage(taskRequestSchema, request)).toEqual(request);
  });

  it('reports a body that is not JSON as such', () => {
    expect(issuesOf(() => parseMessage(taskRequestSchema, Buffer.from('{"v":1,')))).toEqual([
      expect.stringMatching(/^\(body\): not valid JSON/),
    ]);
  });

  it('reports a body that is not an object against the message itself', () => {
    expect(issuesOf(() => parseMessage(taskRequestSchema, Buffer.from('[1,2]')))).toEqual([
      expect.stringMatching(/^\(message\): /),
    ]);
  });

  it('drops unknown fields, so a newer sender adding an optional field does not break older consumers', () => {
    const parsed = parseMessage(taskRequestSchema, { ...validRequest(), addedInV1_1: 'x' });
    expect(parsed).not.toHaveProperty('addedInV1_1');
  });

  it('caps the number of reported issues', () => {
    const many = z.object({ items: z.array(z.string()) });
    const issues = issuesOf(() => parseMessage(many, { items: Array.from({ length: 50 }, (_, i) => i) }));
    expect(issues).toHaveLength(21);
    expect(issues[20]).toBe('… and 30 more');
  });

  it('calls a schema outside the wire registry a "message"', () => {
    expect(() => parseMessage(z.object({ a: z.string() }), {})).toThrow(/^invalid message: a: /);
  });

  it('throws MessageValidationError, never a zod error', () => {
    expect(() => parseMessage(taskRequestSchema, null)).toThrow(MessageValidationError);
  });
});
