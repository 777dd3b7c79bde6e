// Main's events to the renderer(s): one hub the services emit into, and the
// transports (Electron's webContents.send, the browser-mode WebSocket) that
// subscribe to it. Plain data only; no electron here.
import type { FwEvent } from '../contract/index.js';

type EventSink = (event: FwEvent) => void;

export class EventHub {
  private sinks = new Set<EventSink>();
  /** bound, so it can be handed around as a function */
  readonly emit = (event: FwEvent): void => {
    for (const s of this.sinks) {
      try {
        s(event);
      } catch {
        // one broken window must not keep the others from hearing it
      }
    }
  };
  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => void this.sinks.delete(sink);
  }
}
