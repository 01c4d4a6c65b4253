/** `docker events --filter`: type, event (action), container, image, volume, network, label, daemon, scope. */
import type { EngineEvent } from './event-bus.js';

export const EVENT_FILTERS = [
  'type',
  'event',
  'container',
  'image',
  'volume',
  'network',
  'label',
  'daemon',
  'scope',
  'plugin',
  'node',
  'service',
  'secret',
  'config',
];

export function eventMatches(e: EngineEvent, f: ReadonlyMap<string, readonly string[]>): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const values = f.get(key);
    return !values || values.length === 0 || values.some(pred);
  };
  const name = e.attributes['name'];
  const action = e.action.split(':')[0] ?? e.action;
  return (
    any('type', (v) => v === e.type) &&
    any('event', (v) => v === e.action || v === action) &&
    any('scope', (v) => v === e.scope) &&
    any('container', (v) => e.type === 'container' && (e.id.startsWith(v) || name === v)) &&
    any(
      'image',
      (v) =>
        (e.type === 'image' && (e.id === v || name === v || e.id.startsWith(v))) ||
        (e.type === 'container' && e.attributes['image'] === v),
    ) &&
    any('volume', (v) => e.type === 'volume' && e.id === v) &&
    any('network', (v) => e.type === 'network' && (e.id === v || name === v)) &&
    (f.get('label') ?? []).every((l) => {
      const i = l.indexOf('=');
      return i < 0 ? l in e.attributes : e.attributes[l.slice(0, i)] === l.slice(i + 1);
    })
  );
}
