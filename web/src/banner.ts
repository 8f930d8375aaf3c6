// The error banner: what is wrong right now, one line per source (the entity loader, the stream,
// the inspector...), announced to screen readers, cleared by the source itself once it recovers
// or by the officer. The page never goes blank because a request failed.

import { ApiError } from './api';
import { type MessageKey, onLangChange, t } from './i18n';

interface Message {
  key: MessageKey;
  params: Record<string, string | number>;
  what?: { key: MessageKey; params: Record<string, string | number> };
}

export class Banner {
  private readonly messages = new Map<string, Message>();
  private readonly list: HTMLUListElement;

  constructor(private readonly root: HTMLElement) {
    this.list = document.createElement('ul');
    root.append(this.list);
    onLangChange(() => this.render());
    this.render();
  }

  /** Shows (or replaces) the message of `source`. */
  report(source: string, message: Message): void {
    this.messages.set(source, message);
    this.render();
  }

  /** Shows why a request of `source` about `what` failed. */
  reportError(source: string, what: Message['what'], err: unknown): void {
    if (err instanceof DOMException && err.name === 'AbortError') return;
    if (err instanceof ApiError && err.status !== 0) this.report(source, { key: 'banner.failed', params: { status: `${err.status} ${err.message}` }, what });
    else this.report(source, { key: 'banner.unreachable', params: {}, what });
  }

  clear(source: string): void {
    if (this.messages.delete(source)) this.render();
  }

  has(source: string): boolean {
    return this.messages.has(source);
  }

  private render(): void {
    this.root.hidden = this.messages.size === 0;
    this.list.replaceChildren(
      ...[...this.messages].map(([source, m]) => {
        const li = document.createElement('li');
        const text = document.createElement('span');
        const what = m.what ? t(m.what.key, m.what.params) : '';
        text.textContent = t(m.key, { ...m.params, what });
        const dismiss = document.createElement('button');
        dismiss.type = 'button';
        dismiss.className = 'banner-dismiss';
        dismiss.textContent = t('banner.dismiss');
        dismiss.addEventListener('click', () => this.clear(source));
        li.append(text, dismiss);
        return li;
      }),
    );
  }
}
