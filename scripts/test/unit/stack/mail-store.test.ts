import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearMails, deleteMails, listMails, saveMail } from '../../../src/stack/mail-store';

describe('mail store', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'wlm-mails-')), 'mails');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  const mail = (subject: string) => ({
    from: 'wlm@localhost',
    to: ['admin@localhost'],
    subject,
    date: '2026-01-01T00:00:00.000Z',
    text: `text of ${subject}`,
  });

  it('lists nothing before the first mail', () => {
    expect(listMails(dir)).toEqual([]);
  });

  it('lists stored mails oldest first, with what was stored', () => {
    const first = saveMail(dir, mail('first'), new Date('2026-01-01T00:00:01Z'));
    saveMail(dir, mail('second'), new Date('2026-01-01T00:00:02Z'));
    const mails = listMails(dir);
    expect(mails.map((m) => m.subject)).toEqual(['first', 'second']);
    expect(mails[0]).toEqual({ ...mail('first'), id: first.id, receivedAt: '2026-01-01T00:00:01.000Z' });
  });

  it('skips files that are not mails', () => {
    saveMail(dir, mail('real'));
    writeFileSync(join(dir, 'junk.json'), '{"not":"a mail"}');
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(listMails(dir).map((m) => m.subject)).toEqual(['real']);
  });

  it('deletes the mails with the given ids only, and never a path', () => {
    const keep = saveMail(dir, mail('keep'));
    const drop = saveMail(dir, mail('drop'));
    expect(deleteMails(dir, [drop.id, 'no-such-id', '../mails/whatever'])).toBe(1);
    expect(listMails(dir).map((m) => m.id)).toEqual([keep.id]);
  });

  it('clears everything', () => {
    saveMail(dir, mail('a'));
    saveMail(dir, mail('b'));
    expect(clearMails(dir)).toBe(2);
    expect(listMails(dir)).toEqual([]);
  });
});
