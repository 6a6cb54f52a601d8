import { ApiFailure, request } from '../api.js';
import { clock, h, notice, replace, toast } from '../dom.js';
import type { PageContext } from '../page.js';
import type { DeadLetterDetail, DeadLetterView } from '../types.js';

/**
 * `#/dead-letters`: the messages consumers gave up on (what `wlm dlq` shows), one opened with its
 * body and headers, and replayed to the queue it came from.
 */
export async function deadLettersPage(context: PageContext): Promise<void> {
  const list = h('div', { class: 'table-wrap', id: 'dead-letters' }, notice('Loading…'));
  const detail = h('div', { class: 'panel-box' });
  replace(
    context.root,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        {},
        h('h1', {}, 'Dead letters'),
        h(
          'div',
          { class: 'subtitle' },
          'Messages a consumer gave up on: invalid, failed for good, or delivered too often.',
        ),
      ),
      h('button', { onclick: () => void load() }, 'Refresh'),
    ),
    h('div', { class: 'split' }, list, detail),
  );

  const open = async (id: string): Promise<void> => {
    try {
      const letter = await request<DeadLetterDetail>(`/api/dead-letters/${encodeURIComponent(id)}`);
      replace(
        detail,
        h(
          'aside',
          { class: 'panel card', id: 'dead-letter' },
          h(
            'div',
            { class: 'panel-head' },
            h('h2', {}, letter.id.slice(0, 16)),
            h(
              'button',
              {
                class: 'primary small',
                id: 'replay',
                disabled: letter.sourceQueue === undefined,
                onclick: () => void replay(letter.id),
              },
              'Replay',
            ),
          ),
          h(
            'dl',
            { class: 'facts' },
            [
              ['Queue', letter.sourceQueue ?? 'unknown (cannot replay)'],
              ['Error', letter.errorCode],
              ['Consumer', letter.consumer ?? '—'],
              ['When', clock(letter.deadLetteredAt ?? null)],
              ['Deliveries', letter.deliveries === undefined ? '—' : String(letter.deliveries)],
              ['Size', `${letter.bytes} bytes`],
            ].map(([label, value]) => [h('dt', {}, label), h('dd', { class: 'mono small' }, value)]),
          ),
          h('div', { class: 'callout callout-error' }, letter.reason),
          h('h3', {}, 'Body'),
          h('pre', { class: 'code' }, JSON.stringify(letter.body, null, 2)),
          h('h3', {}, 'Headers'),
          h('pre', { class: 'code' }, JSON.stringify(letter.headers, null, 2)),
        ),
      );
    } catch (error) {
      replace(detail, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    }
  };

  const replay = async (id: string): Promise<void> => {
    try {
      const letter = await request<DeadLetterView>(`/api/dead-letters/${encodeURIComponent(id)}/replay`, {
        method: 'POST',
      });
      toast(`Replayed to ${letter.sourceQueue ?? '?'}`);
      replace(detail);
      await load();
    } catch (error) {
      toast(error instanceof Error ? error.message : String(error), 'error');
    }
  };

  const load = async (): Promise<void> => {
    try {
      const { items } = await request<{ items: DeadLetterView[] }>('/api/dead-letters');
      replace(
        list,
        items.length === 0
          ? notice('The dead-letter queue is empty.')
          : h(
              'table',
              { class: 'grid compact' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Id', 'Queue', 'Error', 'Reason', 'When'].map((label) => h('th', {}, label)),
                ),
              ),
              h(
                'tbody',
                {},
                items.map((letter) =>
                  h(
                    'tr',
                    { 'data-id': letter.id, class: 'clickable', onclick: () => void open(letter.id) },
                    h('td', { class: 'mono' }, letter.id.slice(0, 10)),
                    h('td', { class: 'mono small' }, letter.sourceQueue ?? '—'),
                    h('td', { class: 'mono small' }, letter.errorCode),
                    h(
                      'td',
                      { class: 'reason' },
                      h('div', { class: 'clip', title: letter.reason }, letter.reason),
                    ),
                    h('td', { class: 'nowrap' }, clock(letter.deadLetteredAt ?? null).slice(5)),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      replace(list, notice(error instanceof ApiFailure ? error.message : String(error), 'error'));
    }
  };
  await load();
}
