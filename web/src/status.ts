// The connection indicator in the header: the change stream's state, in words and colour,
// announced politely to screen readers when it changes.

import { type MessageKey, onLangChange, t } from './i18n';
import type { ConnState } from './stream';

const LABELS: Readonly<Record<ConnState, MessageKey>> = {
  connecting: 'conn.connecting',
  live: 'conn.live',
  reconnecting: 'conn.reconnecting',
  offline: 'conn.offline',
};

export class ConnectionIndicator {
  private state: ConnState = 'connecting';

  constructor(private readonly el: HTMLElement) {
    onLangChange(() => this.render());
    this.render();
  }

  set(state: ConnState): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    this.el.dataset.state = this.state;
    this.el.textContent = t(LABELS[this.state]);
    this.el.title = t('conn.label');
  }
}
