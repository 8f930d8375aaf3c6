// Keeps the dashboard's copy of the twin current: REST snapshots of the shown layers (on start,
// on a resync, when a layer is switched on, every few minutes for what is out of view) and the
// change stream for what is in view. The stream covers the view plus a margin, so small pans do
// not reconnect; a view outside it opens a new stream and re-reads the newly covered area.

import { type Api, type EntityQuery, loadAll } from './api';
import type { Banner } from './banner';
import type { EntityStore } from './entities';
import { type Bbox, bboxContains, padBbox } from './geo';
import { type LayerId, typesOfLayers } from './layers';
import type { ChangeStream } from './stream';

/** Margin of the streamed area around the view, as a share of the view's size. */
const STREAM_MARGIN = 0.5;
/** Out-of-view entities (not streamed) are re-read this often. */
const FULL_REFRESH_MS = 5 * 60e3;
const RETRY_MS = 10e3;
/** How long the first load waits for the stream to open, so that no change falls in between. */
const STREAM_WAIT_MS = 1000;

export interface ViewState {
  bbox(): Bbox;
  layers(): ReadonlySet<LayerId>;
}

export class LiveSync {
  private allTypes: string[] = [];
  private streamBbox: Bbox | null = null;
  private streamTypes = '';
  private fullLoad: Promise<void> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    private readonly store: EntityStore,
    private readonly stream: ChangeStream,
    private readonly banner: Banner,
    private readonly view: ViewState,
  ) {}

  /** Every entity type in the twin, as last read. */
  types(): readonly string[] {
    return this.allTypes;
  }

  /** Reads the types, opens the stream, then loads the shown layers. */
  async start(): Promise<void> {
    await this.readTypes();
    const opened = new Promise<void>((resolve) => {
      this.updateStream(resolve);
      setTimeout(resolve, STREAM_WAIT_MS);
    });
    await opened;
    await this.loadEverything();
  }

  private async readTypes(): Promise<void> {
    for (;;) {
      try {
        this.allTypes = await this.api.types();
        this.banner.clear('types');
        return;
      } catch (e) {
        this.banner.reportError('types', { key: 'what.types', params: {} }, e);
        await new Promise((r) => setTimeout(r, RETRY_MS / 2));
      }
    }
  }

  /** The map moved: follow it with the stream if it left the streamed area. */
  viewChanged(): void {
    this.updateStream();
  }

  /** Layers were switched on (`added`) or off (`removed`). */
  layersChanged(added: readonly LayerId[], removed: readonly LayerId[]): void {
    if (removed.length > 0) this.store.dropLayers(new Set(removed));
    this.updateStream();
    if (added.length > 0) void this.load({ types: typesOfLayers(this.allTypes, new Set(added)), bbox: null });
  }

  /** The server lost our place in the stream, or we were cut off: read everything again. */
  resync(): void {
    this.store.resetOrdering();
    void this.loadEverything();
  }

  private updateStream(onOpen?: () => void): void {
    const types = typesOfLayers(this.allTypes, this.view.layers());
    const visible = this.view.bbox();
    const typesKey = types.join(',');
    if (typesKey === this.streamTypes && this.streamBbox && bboxContains(this.streamBbox, visible)) return;
    const previous = this.streamBbox;
    const bbox = padBbox(visible, STREAM_MARGIN);
    this.streamBbox = bbox;
    this.streamTypes = typesKey;
    if (types.length === 0) {
      this.stream.close();
      onOpen?.();
      return;
    }
    // Entities newly inside the streamed area were not followed: re-read them once it is open.
    const uncovered = previous !== null && !bboxContains(previous, bbox);
    this.stream.open(this.api.streamUrl(types, bbox), () => {
      onOpen?.();
      if (uncovered) void this.load({ types, bbox });
    });
  }

  /** Loads every shown layer, whole-island; one at a time, later calls join the running one. */
  private loadEverything(): Promise<void> {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.fullLoad ??= this.load({ types: typesOfLayers(this.allTypes, this.view.layers()), bbox: null }).finally(() => {
      this.fullLoad = null;
      this.refreshTimer = setTimeout(() => void this.refreshTypesAndLoad(), FULL_REFRESH_MS);
    });
    return this.fullLoad;
  }

  private async refreshTypesAndLoad(): Promise<void> {
    try {
      const before = this.allTypes.join(',');
      this.allTypes = await this.api.types();
      // New types (an Alert appearing) need the stream to carry them too.
      if (this.allTypes.join(',') !== before) this.updateStream();
    } catch (e) {
      this.banner.reportError('types', { key: 'what.types', params: {} }, e);
    }
    await this.loadEverything();
  }

  private async load(q: EntityQuery): Promise<void> {
    if (q.types.length === 0) return;
    const snap = this.store.beginSnapshot();
    let complete = false;
    try {
      complete = (await loadAll(this.api, q, (page) => this.store.applyPage(snap, page))).complete;
      this.banner.clear('entities');
    } catch (e) {
      this.banner.reportError('entities', { key: 'what.entities', params: {} }, e);
      setTimeout(() => void (q.bbox ? this.load(q) : this.loadEverything()), RETRY_MS);
    } finally {
      this.store.endSnapshot(snap, { types: new Set(q.types), bbox: q.bbox }, complete);
    }
  }
}
