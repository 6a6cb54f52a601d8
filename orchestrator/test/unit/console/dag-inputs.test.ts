import { declaredInputs } from '../../../console/src/dag-inputs';

describe('declaredInputs', () => {
  it('lists every input the tasks use as {{inputs.x}}, once, sorted', () => {
    const dag = {
      type: 'demo',
      version: 1,
      description: null,
      createdAt: '2026-12-03T00:00:00.000Z',
      definition: {
        type: 'demo',
        tasks: [
          { id: 'a', type: 'echo', params: { file: '{{inputs.dataset}}', n: '{{ inputs.count }}' } },
          {
            id: 'b',
            type: 'echo',
            params: { again: 'x-{{inputs.dataset}}', out: '{{tasks.a.outputs.file}}' },
          },
        ],
      },
    };
    expect(declaredInputs(dag)).toEqual(['count', 'dataset']);
  });
});
