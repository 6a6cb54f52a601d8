import { renderParams, templateReferences } from '@wlm/commons/dag';
import { TemplateResolutionError, WlmError } from '@wlm/commons/errors';

const context = {
  inputs: { msg: 'hello', n: 3, flags: ['-v'], none: null },
  tasks: { stage: { outputs: { path: '/data/in', meta: { size: 10 }, ok: true } } },
};

function resolutionError(run: () => unknown): TemplateResolutionError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateResolutionError) return error;
    throw error;
  }
  throw new Error('expected a TemplateResolutionError');
}

describe('renderParams', () => {
  it('gives a string that is exactly one template the referenced JSON value and type', () => {
    expect(
      renderParams(
        {
          msg: '{{inputs.msg}}',
          n: '{{inputs.n}}',
          flags: '{{ inputs.flags }}',
          none: '{{inputs.none}}',
          meta: '{{tasks.stage.outputs.meta}}',
          ok: '{{tasks.stage.outputs.ok}}',
        },
        context,
      ),
    ).toEqual({ msg: 'hello', n: 3, flags: ['-v'], none: null, meta: { size: 10 }, ok: true });
  });

  it('substitutes templates inside longer text: strings as they are, other values as JSON', () => {
    expect(
      renderParams(
        { line: '{{inputs.msg}} n={{inputs.n}} meta={{tasks.stage.outputs.meta}} {{inputs.none}}!' },
        context,
      ),
    ).toEqual({ line: 'hello n=3 meta={"size":10} null!' });
  });

  it('renders nested lists and mappings and leaves other values and non-template braces alone', () => {
    const params = {
      files: [{ src: '{{tasks.stage.outputs.path}}/a.txt', keep: true }],
      count: 2,
      helm: '{{ .Values.image }}',
      nothing: null,
    };
    expect(renderParams(params, context)).toEqual({
      files: [{ src: '/data/in/a.txt', keep: true }],
      count: 2,
      helm: '{{ .Values.image }}',
      nothing: null,
    });
    expect(params.files[0]?.src).toBe('{{tasks.stage.outputs.path}}/a.txt');
  });

  it('names a missing input, with the template and where it sits', () => {
    const error = resolutionError(() => renderParams({ list: ['x', 'say {{inputs.who}}'] }, context));
    expect(error).toBeInstanceOf(WlmError);
    expect(error.code).toBe('TEMPLATE_UNRESOLVED');
    expect(error.template).toBe('{{inputs.who}}');
    expect(error.path).toBe('params.list[1]');
    expect(error.message).toBe(
      'cannot resolve {{inputs.who}} in params.list[1]: the experiment has no input "who"; submit it with --input who=…',
    );
  });

  it('names a task without outputs and a missing output key', () => {
    expect(resolutionError(() => renderParams({ x: '{{tasks.other.outputs.y}}' }, context)).message).toBe(
      'cannot resolve {{tasks.other.outputs.y}} in params.x: no outputs of task "other" are known; it has not completed',
    );
    expect(resolutionError(() => renderParams({ x: '{{tasks.stage.outputs.size}}' }, context)).message).toBe(
      'cannot resolve {{tasks.stage.outputs.size}} in params.x: task "stage" has no output "size"',
    );
  });

  it('never resolves a reference through the object prototype', () => {
    expect(resolutionError(() => renderParams({ x: '{{inputs.constructor}}' }, {})).path).toBe('params.x');
    expect(
      resolutionError(() => renderParams({ x: '{{tasks.toString.outputs.x}}' }, { tasks: {} })).template,
    ).toBe('{{tasks.toString.outputs.x}}');
  });

  it('keeps a "__proto__" key as data', () => {
    const params = JSON.parse('{"__proto__": "{{inputs.msg}}"}') as Record<string, string>;
    const rendered = renderParams(params, context);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(rendered, '__proto__')?.value).toBe('hello');
  });

  it('refuses a malformed template in params that skipped validation', () => {
    expect(resolutionError(() => renderParams({ x: '{{input.msg}}' }, context)).message).toBe(
      'cannot resolve {{input.msg}} in params.x: not a valid template; write {{inputs.<name>}} or {{tasks.<id>.outputs.<key>}}',
    );
  });
});

describe('templateReferences', () => {
  it('lists each input and task-output reference with its path', () => {
    expect(
      templateReferences({
        cmd: 'run {{inputs.exe}} on {{tasks.stage.outputs.path}}',
        nested: [{ n: '{{ inputs.n }}' }],
        literal: '{{ .Values.x }}',
        number: 1,
      }),
    ).toEqual([
      { kind: 'input', name: 'exe', template: '{{inputs.exe}}', path: 'params.cmd' },
      {
        kind: 'task-output',
        taskId: 'stage',
        key: 'path',
        template: '{{tasks.stage.outputs.path}}',
        path: 'params.cmd',
      },
      { kind: 'input', name: 'n', template: '{{ inputs.n }}', path: 'params.nested[0].n' },
    ]);
  });
});
