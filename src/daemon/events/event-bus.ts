/**
 * The in-process event bus behind GET /events: every lifecycle step of containers, images,
 * volumes, networks and the daemon is published here. Keeps a bounded history so that
 * `docker events --since` can replay the recent past, as dockerd does.
 */
export type EventType =
  | 'container'
  | 'image'
  | 'volume'
  | 'network'
  | 'daemon'
  | 'plugin'
  | 'node'
  | 'service'
  | 'secret'
  | 'config';

export interface EngineEvent {
  readonly type: EventType;
  /** create, start, die, destroy, pull, tag, untag, delete, push, load, import, save, mount, ... */
  readonly action: string;
  /** The object's id (container id, image id or reference, volume name). */
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly scope: 'local' | 'swarm';
  /** Nanoseconds since the epoch. */
  readonly timeNano: bigint;
}

export type EventListener = (e: EngineEvent) => void;

const HISTORY = 1000;

/** Attributes every event of a type carries (a container's labels, image and name). */
export type AttributeSource = (id: string) => Record<string, string>;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly history: EngineEvent[] = [];
  private readonly sources = new Map<EventType, AttributeSource>();

  constructor(private readonly clock: () => bigint = () => BigInt(Date.now()) * 1_000_000n) {}

  publish(
    type: EventType,
    action: string,
    id: string,
    attributes: Record<string, string> = {},
  ): EngineEvent {
    // dockerd puts the labels first, then what the publisher says (image, name, exitCode...).
    const base = this.sources.get(type)?.(id) ?? {};
    const e: EngineEvent = {
      type,
      action,
      id,
      attributes: { ...base, ...attributes },
      scope: 'local',
      timeNano: this.clock(),
    };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A broken listener must not break the publisher.
      }
    }
    return e;
  }

  /**
   * Every later event of `type` carries what `source` gives for its id, under the publisher's
   * own attributes: `label=` filters then match every container event (compose watches its
   * containers' exits that way), as with dockerd.
   */
  attributesFor(type: EventType, source: AttributeSource): void {
    this.sources.set(type, source);
  }

  /** Events at or after `sinceNano` still in memory. */
  since(sinceNano: bigint): EngineEvent[] {
    return this.history.filter((e) => e.timeNano >= sinceNano);
  }

  /**
   * Adds `l` until the returned function is called or `signal` aborts (the client went away),
   * whichever comes first; either way nothing of the subscription stays behind.
   */
  subscribe(l: EventListener, signal?: AbortSignal): () => void {
    if (signal?.aborted) return () => undefined;
    // A fresh function per subscription: the same listener subscribed twice is two subscriptions.
    const entry: EventListener = (e) => {
      l(e);
    };
    const unsubscribe = (): void => {
      this.listeners.delete(entry);
      signal?.removeEventListener('abort', unsubscribe);
    };
    this.listeners.add(entry);
    signal?.addEventListener('abort', unsubscribe, { once: true });
    return unsubscribe;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
