import { EventClass, eventTypes } from '../streams';

export const PROJECTION_HANDLERS_METADATA = 'chainstore:projection-handlers';

interface HandlerEntry {
  method: string | symbol;
  types: ReadonlyArray<string | EventClass>;
}

/**
 * Marks a method of a @Projection as the handler of events of these types (type names, or event
 * classes, which are registered so that their data comes back as instances). It receives the
 * RecordedEvent and may return a promise; the next event waits for it.
 */
export function ProjectionHandler(...types: Array<string | EventClass>): MethodDecorator {
  if (types.length === 0) throw new TypeError('@ProjectionHandler needs at least one event type');
  for (const type of types) if (typeof type === 'function') eventTypes.registerIfAbsent(type);
  return (target, method) => {
    const entries = (Reflect.getOwnMetadata(PROJECTION_HANDLERS_METADATA, target.constructor) as HandlerEntry[] | undefined) ?? [];
    Reflect.defineMetadata(PROJECTION_HANDLERS_METADATA, [...entries, { method, types }], target.constructor);
  };
}

/** The handler methods of a projection class by stored type name. */
export function projectionHandlersOf(target: Function): Map<string, Array<string | symbol>> {
  const entries = (Reflect.getMetadata(PROJECTION_HANDLERS_METADATA, target) as HandlerEntry[] | undefined) ?? [];
  const byType = new Map<string, Array<string | symbol>>();
  for (const entry of entries) {
    for (const type of entry.types) {
      const name = typeof type === 'string' ? type : eventTypes.nameOf(type);
      byType.set(name, [...(byType.get(name) ?? []), entry.method]);
    }
  }
  return byType;
}
