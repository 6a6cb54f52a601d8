import { missingInputs, requiredInputs } from '../../../src/engine/required-inputs';

describe('requiredInputs', () => {
  const dag = {
    type: 'x',
    tasks: [
      { id: 'a', type: 'echo', params: { msg: 'hi {{inputs.who}}', nested: [{ n: '{{inputs.count}}' }] } },
      {
        id: 'b',
        type: 'echo',
        after: ['a'],
        params: { again: '{{inputs.who}}', up: '{{tasks.a.outputs.msg}}' },
      },
    ],
  };

  it('lists each input once, with the first place that uses it', () => {
    expect(requiredInputs(dag)).toEqual([
      { name: 'who', usedBy: 'task "a" (params.msg)' },
      { name: 'count', usedBy: 'task "a" (params.nested[0].n)' },
    ]);
  });

  it('finds the missing ones among own keys only', () => {
    expect(missingInputs(requiredInputs(dag), { who: 'me', count: 0 })).toEqual([]);
    expect(
      missingInputs(requiredInputs(dag), JSON.parse('{"__proto__": 1, "who": null}')).map((i) => i.name),
    ).toEqual(['count']);
  });
});
