// The time bar: a slider over the replay window (dragging it, or moving it with the arrow keys,
// starts a replay at that moment), play/pause, speed, window length and "back to live".

import { formatClock, formatTime } from './format';
import { type MessageKey, onLangChange, t } from './i18n';
import type { Replay } from './replay';

const WINDOWS_H = [1, 3, 6, 12, 24];
const SPEEDS = [10, 60, 300, 900];
/** While live, the window's end follows the clock this often. */
const LIVE_REFRESH_MS = 15000;

export class TimeBar {
  private readonly slider: HTMLInputElement;
  private readonly value: HTMLOutputElement;
  private readonly mode: HTMLElement;
  private readonly play: HTMLButtonElement;
  private readonly live: HTMLButtonElement;
  private readonly windowSelect: HTMLSelectElement;
  private readonly speedSelect: HTMLSelectElement;
  private readonly startLabel: HTMLElement;
  private readonly endLabel: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly replay: Replay,
  ) {
    const q = <T extends HTMLElement>(sel: string): T => root.querySelector(sel) as T;
    this.slider = q('#time-slider');
    this.value = q('#time-value');
    this.mode = q('#time-mode');
    this.play = q('#time-play');
    this.live = q('#time-live');
    this.windowSelect = q('#time-window');
    this.speedSelect = q('#time-speed');
    this.startLabel = q('#time-start');
    this.endLabel = q('#time-end');
    this.slider.step = '60';
    this.slider.addEventListener('input', () => replay.seek(Number(this.slider.value) * 1000));
    this.play.addEventListener('click', () => (replay.state === 'playing' || replay.state === 'buffering' ? replay.pause() : replay.play()));
    this.live.addEventListener('click', () => replay.live());
    this.windowSelect.addEventListener('change', () => replay.setWindow(Number(this.windowSelect.value) * 3600e3));
    this.speedSelect.addEventListener('change', () => {
      replay.speed = Number(this.speedSelect.value);
    });
    onLangChange(() => this.fillOptions());
    this.fillOptions();
    setInterval(() => {
      if (replay.state === 'live') this.render();
    }, LIVE_REFRESH_MS);
  }

  private fillOptions(): void {
    this.windowSelect.replaceChildren(
      ...WINDOWS_H.map((h) => new Option(t('time.hours', { n: h }), String(h), false, h * 3600e3 === this.replay.windowMs)),
    );
    this.speedSelect.replaceChildren(...SPEEDS.map((s) => new Option(`${s}×`, String(s), false, s === this.replay.speed)));
    this.render();
  }

  /** Shows the replay's state; called whenever it changes. */
  render(): void {
    const r = this.replay;
    const [from, to] = r.window();
    const at = r.state === 'live' ? to : r.t;
    this.slider.min = String(Math.floor(from / 1000));
    this.slider.max = String(Math.ceil(to / 1000));
    this.slider.value = String(Math.round(at / 1000));
    this.slider.setAttribute('aria-valuetext', formatTime(at));
    this.value.textContent = formatTime(at);
    this.startLabel.textContent = formatClock(from);
    this.endLabel.textContent = formatClock(to);
    const modeKey: MessageKey = r.state === 'live' ? 'time.live' : r.state === 'buffering' ? 'time.buffering' : 'time.replay';
    this.mode.textContent = t(modeKey);
    this.mode.dataset.state = r.state;
    const playing = r.state === 'playing' || r.state === 'buffering';
    this.play.textContent = t(playing ? 'time.pause' : 'time.play');
    this.play.setAttribute('aria-pressed', String(playing));
    this.live.disabled = r.state === 'live';
    document.body.dataset.mode = r.state === 'live' ? 'live' : 'replay';
  }
}
