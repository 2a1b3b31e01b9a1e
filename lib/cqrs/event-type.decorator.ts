import { EventClass, eventTypes } from '../streams';

/**
 * Registers an event class under a stored type name (default: the class name), so that events
 * read back — by the repository, projections and subscriptions — are instances of it. Registering
 * a name again replaces the earlier class (hot reloads, tests).
 */
export function EventType(name?: string): ClassDecorator {
  return (target) => {
    eventTypes.register(target as unknown as EventClass, name ?? target.name);
  };
}
