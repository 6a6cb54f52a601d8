import type { PageContext } from '../page.js';
import { h, replace } from '../dom.js';

export function deadLettersPage(context: PageContext): void {
  replace(context.root, h('h1', {}, 'Dead letters'));
}
