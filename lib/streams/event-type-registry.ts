import { InvalidOptionsError } from '../errors/invalid-options.error';
import { RecordedEvent } from '../store';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventClass<T = any> = abstract new (...args: any[]) => T;

/** Turns the data of an old shape of a type into the new shape. Must leave data of the new shape alone. */
export type Upcaster = (data: unknown, event: RecordedEvent) => unknown;

interface RegisteredUpcaster {
  upcast: Upcaster;
  toType?: string;
}

/** Most upcasting steps one event may take: a cycle of renamed types stops here with an error. */
const MAX_UPCAST_STEPS = 64;

/**
 * Event classes by type name, and upcasters by type. Every read of the store passes through
 * `decode`: old shapes are upcast (stored bytes are never rewritten) and data of a registered
 * type becomes an instance of its class, so `ofType` in sagas and `on<Event>` handlers work.
 * Data of an unregistered type stays a plain object.
 */
export class EventTypeRegistry {
  private readonly classes = new Map<string, EventClass>();
  private readonly names = new WeakMap<EventClass, string>();
  private readonly upcasters = new Map<string, RegisteredUpcaster[]>();

  /** Registers `eventClass` under `name` (default: its class name); a name registered again gets the new class. */
  register(eventClass: EventClass, name: string = eventClass.name): void {
    if (typeof eventClass !== 'function') throw new InvalidOptionsError('eventClass', 'must be a class');
    if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionsError('name', 'must be a non-empty string');
    this.classes.set(name, eventClass);
    this.names.set(eventClass, name);
  }

  /** Registers the class under its name unless that name already has a class. */
  registerIfAbsent(eventClass: EventClass): void {
    if (!this.names.has(eventClass) && !this.classes.has(eventClass.name)) this.register(eventClass);
  }

  /** The stored type name of an event class, or of an event (by its constructor). */
  nameOf(eventOrClass: object | EventClass): string {
    const eventClass = (typeof eventOrClass === 'function' ? eventOrClass : eventOrClass.constructor) as EventClass;
    return this.names.get(eventClass) ?? eventClass.name;
  }

  classOf(name: string): EventClass | undefined {
    return this.classes.get(name);
  }

  /**
   * Adds an upcaster for events stored as `type`. Upcasters of a type run in the order added; with
   * `toType` the event continues as that type (and its upcasters run next).
   */
  addUpcaster(type: string, upcast: Upcaster, options: { toType?: string } = {}): void {
    if (typeof upcast !== 'function') throw new InvalidOptionsError('upcast', 'must be a function');
    const list = this.upcasters.get(type) ?? [];
    list.push({ upcast, toType: options.toType });
    this.upcasters.set(type, list);
  }

  /** True when no class and no upcaster is registered: reads can skip decode. */
  get isEmpty(): boolean {
    return this.classes.size === 0 && this.upcasters.size === 0;
  }

  /** Forgets every class and upcaster (tests, hot reloads). */
  clear(): void {
    this.classes.clear();
    this.upcasters.clear();
  }

  /** The event as the application sees it: upcast, then an instance of its registered class. */
  decode(event: RecordedEvent): RecordedEvent {
    if (this.isEmpty) return event;
    let { type, data } = event;
    for (let steps = 0, list = this.upcasters.get(type); list; list = this.upcasters.get(type)) {
      let renamed = false;
      for (const upcaster of list) {
        if (++steps > MAX_UPCAST_STEPS) throw new InvalidOptionsError('upcasters', `of type ${type} loop: more than ${MAX_UPCAST_STEPS} steps`);
        data = upcaster.upcast(data, event);
        if (upcaster.toType !== undefined && upcaster.toType !== type) {
          type = upcaster.toType;
          renamed = true;
          break;
        }
      }
      if (!renamed) break;
    }
    const eventClass = this.classes.get(type);
    if (eventClass && data !== null && typeof data === 'object' && !(data instanceof eventClass)) {
      data = Object.assign(Object.create(eventClass.prototype as object) as object, data);
    }
    return type === event.type && data === event.data ? event : { ...event, type, data };
  }
}

/** The registry every store uses unless given another: `@EventType` registers here. */
export const eventTypes = new EventTypeRegistry();
